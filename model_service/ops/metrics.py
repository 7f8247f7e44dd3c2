"""Prometheus metrics at ``/metrics``, right across gunicorn workers.

Under ``model-service serve`` the environment variable ``PROMETHEUS_MULTIPROC_DIR`` is set before
anything is imported, so prometheus-client keeps every value in a per-process file there and
``/metrics`` adds up the files of all workers (dead ones included, so counters never go back).
Without it (tests, ``serve --dev``) the values live in the process, in a registry per application.

Per model: predictions by outcome (``ok``, ``invalid``, ``error``) counted per item, the latency
of model calls, the size of the batches handed to the model (micro-batches of concurrent single
predictions included), load time and status. Per route:
HTTP requests by status and their duration. Label values are bounded: a route is the URL rule
(``/api/models/<name>/predict``), and a model label is only ever a hosted model's name.
"""
from __future__ import annotations

import os
import time
from contextvars import ContextVar

from flask import Blueprint, Flask, Response, current_app, g, has_app_context, request
from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram,
                               generate_latest, multiprocess, values)

from ..core.pipeline import micro_batch_done, prediction_done
from ..core.registry import HostedModel
from ..hosting import get_registry

EXTENSION_KEY = "metrics"
NAMESPACE = "model_service"
LATENCY_BUCKETS = (.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 10_000)

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

bp = Blueprint("metrics", __name__)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class Metrics:
    """The metric families of one application."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        common = {"namespace": NAMESPACE, "registry": self.registry}
        self.predictions = Counter(
            "predictions", "Items predicted, by model and outcome (ok, invalid, error).",
            ["model", "outcome"], **common)
        self.prediction_seconds = Histogram(
            "prediction_duration_seconds", "Time of one model call (single or batch), "
            "output check included.", ["model"], buckets=LATENCY_BUCKETS, **common)
        self.batch_size = Histogram(
            "batch_size", "Items in each call of the model.", ["model"],
            buckets=BATCH_BUCKETS, **common)
        # Gauges are set once, at load, in the master; "max" shows them whatever process asks.
        self.model_ready = Gauge(
            "model_ready", "1 when the model loaded and serves, 0 when it failed to load.",
            ["model"], multiprocess_mode="max", **common)
        self.model_load_seconds = Gauge(
            "model_load_seconds", "Time taken to load the model at start-up.", ["model"],
            multiprocess_mode="max", **common)
        self.model_info = Gauge(
            "model_info", "Always 1; labels say the model's version, status and source.",
            ["model", "version", "status", "source"], multiprocess_mode="max", **common)
        self.http_requests = Counter(
            "http_requests", "HTTP requests, by method, route and status.",
            ["method", "route", "status"], **common)
        self.http_seconds = Histogram(
            "http_request_duration_seconds", "Time to answer an HTTP request, by route.",
            ["method", "route"], buckets=LATENCY_BUCKETS, **common)
        self.in_flight = Gauge(
            "http_requests_in_flight", "Requests being answered right now.",
            multiprocess_mode="livesum", **common)

    def record_model(self, hosted: HostedModel) -> None:
        """Record one model as it loads (a registry on-load hook)."""
        self.model_ready.labels(hosted.name).set(1 if hosted.ready else 0)
        self.model_load_seconds.labels(hosted.name).set(hosted.load_seconds)
        self.model_info.labels(hosted.name, hosted.version, hosted.status, hosted.source).set(1)

    def record_prediction(self, hosted: HostedModel, outcome: str, count: int,
                          seconds: float | None) -> None:
        self.predictions.labels(hosted.name, outcome).inc(count)
        if seconds is not None:
            self.record_call(hosted, count, seconds)

    def record_call(self, hosted: HostedModel, count: int, seconds: float) -> None:
        self.prediction_seconds.labels(hosted.name).observe(seconds)
        self.batch_size.labels(hosted.name).observe(count)

    def count_http(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered HTTP request and its duration (Flask's hook, or the direct path)."""
        method = method if method in KNOWN_METHODS else "other"
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_seconds.labels(method, route).observe(seconds)

    def exposition(self) -> bytes:
        """The text exposition: every worker's values when running under several processes."""
        if multiprocess_dir():
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)


def get_metrics(app: Flask) -> Metrics:
    return app.extensions[EXTENSION_KEY]


#: The metrics of the application answering outside Flask (the worker's direct path).
bound_metrics: ContextVar[Metrics | None] = ContextVar("bound_metrics", default=None)


def _current_metrics() -> Metrics | None:
    """The metrics of the application handling this call, if any (the CLI has none)."""
    if has_app_context():
        return current_app.extensions.get(EXTENSION_KEY)
    return bound_metrics.get()


def _on_prediction(hosted: HostedModel, outcome: str, count: int, seconds: float | None = None,
                   **_: object) -> None:
    metrics = _current_metrics()
    if metrics is not None:
        metrics.record_prediction(hosted, outcome, count, seconds)


def _on_micro_batch(hosted: HostedModel, count: int, seconds: float, **_: object) -> None:
    metrics = _current_metrics()
    if metrics is not None:
        metrics.record_call(hosted, count, seconds)


@bp.get("/metrics")
def metrics_view():
    """Expose the metrics in the Prometheus text format.
    ---
    get:
      operationId: metrics
      summary: Prometheus metrics (text exposition format).
      tags: [operations]
      responses:
        "200":
          description: Every metric, summed over all server processes.
          content:
            text/plain:
              schema: {type: string}
    """
    return Response(get_metrics(current_app).exposition(), mimetype=None,
                    content_type=CONTENT_TYPE_LATEST)


def _use_multiprocess_values(directory: str) -> None:
    """Keep metric values in ``directory``, shared by every worker of this server.

    prometheus-client picks its value store when it is first imported, which may be before
    gunicorn has set the variable (gunicorn imports its settings file, inside this package, first).
    The metrics of this application do not exist yet, so picking again here covers them.
    """
    os.makedirs(directory, exist_ok=True)
    if not getattr(values.ValueClass, "_multiprocess", False):
        values.ValueClass = values.MultiProcessValue(process_identifier=_process_id)


# prometheus-client asks for the process id on every update of a shared value, to notice a
# fork; the answer is kept here and renewed in each forked child instead.
_pid = os.getpid()


def _process_id() -> int:
    return _pid


def _renew_pid() -> None:
    global _pid
    _pid = os.getpid()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_renew_pid)


def init_app(app: Flask) -> None:
    """Create the metrics and record each model as it loads; count every prediction."""
    directory = multiprocess_dir()
    if directory:
        _use_multiprocess_values(directory)
    metrics = Metrics()
    app.extensions[EXTENSION_KEY] = metrics
    get_registry(app).add_load_hook(metrics.record_model)
    prediction_done.connect(_on_prediction)  # one module-level receiver; routed by app
    micro_batch_done.connect(_on_micro_batch)
    app.register_blueprint(bp)


def init_request_hooks(app: Flask) -> None:
    """Count and time every HTTP request (after request ids, before API keys)."""
    metrics = get_metrics(app)

    @app.before_request
    def start_timer():
        g.metrics_started = time.perf_counter()
        metrics.in_flight.inc()

    @app.after_request
    def count_request(response):
        started = g.get("metrics_started")
        if started is not None:
            route = request.url_rule.rule if request.url_rule else "unmatched"
            metrics.count_http(request.method, route, response.status_code,
                               time.perf_counter() - started)
        return response

    @app.teardown_request
    def finish(_error=None):
        if g.pop("metrics_started", None) is not None:
            metrics.in_flight.dec()
