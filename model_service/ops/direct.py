"""The direct path: single predictions answered by the worker's event loop, without Flask.

A single prediction through Flask costs a pool thread, gunicorn's request parser, a WSGI environ,
Flask's request context and hooks, and a hand-off to the model's runner and back: about 1.5 ms
of server CPU per request at one connection, twice the hand-written endpoint's 0.78 ms, with a
context switch count near 56 per request at 16 connections (``make bench``; py-spy showed the
worker holding the interpreter lock only a third of the time it was busy). The production
worker (``ops/worker.py``) reads every request in its event loop anyway; for the plain, valid
case of the two prediction routes it asks this module instead of handing the request to a
thread:

- ``POST /api/models/<name>/predict`` with a JSON object body, and
- ``POST /v2/models/<name>[/versions/<version>]/infer`` with one row in JSON,

for a ready model without media fields. ``prepare`` checks what the Flask path would (API key,
content type, body shape and size, the model's input schema) and returns a ``DirectCall``, or
None to leave the request to Flask: anything unusual or wrong (a refused key, bad JSON, a field
error, a query string, several rows...) takes the ordinary path, which answers it in full. The
loop queues the round's calls to each model's runner together (``ModelRunner.submit_many``), so
concurrent requests share one model call without a thread waiting for each, and ``answer``
writes what Flask would have: the same status, body, headers (request id, security headers),
access-log line, HTTP and prediction metrics, and the same errors in each protocol's shape for
what can only happen after the model ran (a failure, a broken output contract, a timeout).

Measured after (``make bench``, 2 workers): 0.64 ms of server CPU per request at one connection,
and 2.9x and 4.5x the hand-written endpoint's requests/s at 16 and 64 connections; 3.6x and 6.1x
once a call's answers went out together and before their log lines (``record``), and rounds
were held for returning clients (``ops/returning.py``). At one connection, 0.84x the hand-written
endpoint's p50 (0.55 against 0.65 ms) once a lone client's call ran on the loop's own thread
(``ops/stand_in.py``); 1.11-1.20x before.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any, Callable

import orjson
from flask import Flask
from werkzeug.http import HTTP_STATUS_CODES

from ..core import pipeline
from ..core.errors import ClientGone, ModelServiceError
from ..core.registry import HostedModel
from ..hosting import get_registry
from ..protocols.native.codec import _DUMP_OPTIONS, _default
from ..protocols.native.problems import PROBLEM_MIMETYPE, problem_body
from ..protocols.reading import check_json_shape
from ..protocols.v2.binary import HEADER as V2_BINARY_HEADER
from ..protocols.v2.errors import error_body as v2_error_body
from ..protocols.v2.endpoints import tensor_mapping
from . import auth
from .metrics import bound_metrics, get_metrics
from .request_log import REQUEST_ID_HEADER, bound_request_id, log_access, request_id_from
from .security import SECURITY_HEADERS

EXTENSION_KEY = "model_service.direct"
JSON = "application/json"
NATIVE_ROUTE = "/api/models/<name>/predict"
V2_ROUTE = "/v2/models/<name>/infer"
V2_VERSION_ROUTE = "/v2/models/<name>/versions/<version>/infer"

_NATIVE = re.compile(r"^/api/models/([^/]+)/predict$")
_V2 = re.compile(r"^/v2/models/([^/]+)(?:/versions/([^/]+))?/infer$")
_PLAIN_PATH = re.compile(r"^[A-Za-z0-9/_.~-]+$")  # nothing to decode, no query string
_ANY_ACCEPT = frozenset({"", "*/*", "application/json", "application/*"})
_FIXED_HEADERS = "".join(f"{name}: {value}\r\n" for name, value in SECURITY_HEADERS)


@dataclass
class DirectCall:
    """One prediction taken by the direct path: what the runner needs and what the answer needs."""

    hosted: HostedModel
    item: dict
    route: str
    path: str
    request_id: str
    remote_addr: str | None
    started: float
    encode: Callable[[dict], bytes]  # the result in its protocol's JSON
    render_error: Callable[[int, str, Any], tuple[int, bytes, str]]
    keep_alive: bool = True
    status: int = 0  # the answer's, once ``answer`` has made it
    seconds: float = 0.0


class DirectRoutes:
    """The app's direct path, kept in ``app.extensions`` for the worker (see the module)."""

    def __init__(self, app: Flask) -> None:
        self.registry = get_registry(app)
        self.metrics = get_metrics(app)
        self.keys = auth.get_api_keys(app)
        self.attempts = app.extensions[auth.ATTEMPTS_KEY]
        self.max_body = app.config["MAX_CONTENT_LENGTH"]
        self.max_depth = app.config["MAX_JSON_DEPTH"]
        self.max_values = app.config["MAX_JSON_VALUES"]
        self._date = ("", 0)

    # --- Taking a request ------------------------------------------------------------------

    def prepare(self, method: str, path: str, headers: dict[str, str], body: bytes,
                remote_addr: str | None) -> DirectCall | None:
        """A ``DirectCall`` for a plain valid prediction, else None (Flask answers it)."""
        if method != "POST" or len(body) > self.max_body or not _PLAIN_PATH.match(path):
            return None
        if headers.get("content-encoding") or not self._authorized(headers, remote_addr):
            return None
        if headers.get("accept", "").strip().lower() not in _ANY_ACCEPT:
            return None
        if headers.get("content-type", "").partition(";")[0].strip().lower() != JSON:
            return None
        native = _NATIVE.match(path)
        v2 = None if native else _V2.match(path)
        if native is None and v2 is None:
            return None
        hosted = self._hosted((native or v2).group(1))
        if hosted is None or (v2 is not None and v2.group(2) not in (None, hosted.version)):
            return None
        try:
            check_json_shape(body, self.max_depth, self.max_values)
            raw = orjson.loads(body)
        except (ModelServiceError, orjson.JSONDecodeError):
            return None
        started = time.perf_counter()
        request_id = request_id_from(headers.get("x-request-id"))
        if native is not None:
            return self._native(hosted, raw, path, request_id, remote_addr, started)
        if V2_BINARY_HEADER.lower() in headers:
            return None
        return self._v2(hosted, raw, path, v2.group(2), request_id, remote_addr, started)

    def _authorized(self, headers: dict[str, str], remote_addr: str | None) -> bool:
        """Whether the request may go on by the API-key rules (``ops/auth.py``); a request that
        would be refused, or counted as a wrong attempt, goes to Flask, which does both."""
        if not self.keys.enabled:
            return True
        key = auth.key_from(headers.get("authorization", ""), headers.get("x-api-key"))
        return key is not None and self.attempts.retry_after(remote_addr or "-") is None \
            and self.keys.matches(key)

    def _hosted(self, name: str) -> HostedModel | None:
        hosted = self.registry.models.get(name)
        if hosted is None or not hosted.exposed or not hosted.ready or hosted.runner is None:
            return None
        validators = (hosted.input_validator, hosted.output_validator)
        if any(validator.media_fields for validator in validators):
            return None
        return hosted

    def _native(self, hosted, raw, path, request_id, remote_addr, started) -> DirectCall | None:
        if not isinstance(raw, dict):
            return None
        data, errors = hosted.input_validator.load(raw)
        if errors:
            return None
        return DirectCall(hosted, data, NATIVE_ROUTE, path, request_id, remote_addr, started,
                          _dump, _problem)

    def _v2(self, hosted, raw, path, version, request_id, remote_addr, started
            ) -> DirectCall | None:
        mapping = tensor_mapping(hosted)
        row = mapping.plain_row(raw)  # the usual request, read in half the time
        if row is not None:
            def encode(result: dict) -> bytes:
                return mapping.encode_row(result, hosted.name, hosted.version)
        else:
            try:
                decoded = mapping.decode(raw, max_rows=1)
            except Exception:  # any refusal: the ordinary path says why, in the V2 shape
                return None
            if len(decoded.rows) != 1 or decoded.binary_outputs:
                return None
            row = decoded.rows[0]

            def encode(result: dict) -> bytes:
                return orjson.dumps(mapping.encode(decoded, [result], hosted.name,
                                                   hosted.version))
        data, errors = hosted.input_validator.load(row)
        if errors:
            return None

        return DirectCall(hosted, data, V2_VERSION_ROUTE if version else V2_ROUTE, path,
                          request_id, remote_addr, started, encode, _v2_error)

    # --- Answering -------------------------------------------------------------------------

    def begin(self) -> None:
        """Count a request in flight (from ``prepare``'s success to ``answer``)."""
        self.metrics.in_flight.inc()

    def answer(self, call: DirectCall, outcome: Any = None, call_stats: Any = None,
               refused: ModelServiceError | None = None) -> bytes:
        """The whole HTTP answer for ``call``: its result, or the error it ended with.

        ``refused`` is the runner's refusal (busy, timeout, client gone); otherwise the runner's
        ``outcome`` is settled here as ``pipeline.run_predict`` would (reports, failure logs).
        The worker sends the answer, then calls ``record`` (once, whatever happened).
        """
        token = bound_request_id.set(call.request_id)
        metrics_token = bound_metrics.set(self.metrics)
        try:
            hosted = call.hosted
            try:
                if refused is not None:
                    if not isinstance(refused, ClientGone):
                        pipeline.report_refusal(hosted, refused)
                    raise refused
                result = pipeline.settle(hosted, outcome, call_stats)
                status, body, content_type = 200, call.encode(result), JSON
                extra_headers = ""
            except ModelServiceError as error:
                status, body, content_type = call.render_error(error.status, error.detail,
                                                               error.errors)
                extra_headers = "".join(f"{name}: {value}\r\n"
                                        for name, value in error.headers.items())
        except BaseException:
            call.status = 500  # recorded as the failure it is; the worker cuts the connection
            raise
        finally:
            call.seconds = time.perf_counter() - call.started
            bound_metrics.reset(metrics_token)
            bound_request_id.reset(token)
        call.status = status
        return self._http(call, status, body, content_type, extra_headers)

    def record(self, call: DirectCall) -> None:
        """The access line and HTTP metrics of an answered call, written once its answer is
        sent: the client does not wait for them (about 20 us per request, a twentieth of the
        answer's time at one connection)."""
        token = bound_request_id.set(call.request_id)
        try:
            log_access("POST", call.path, call.route, call.hosted.name, call.status,
                       round(call.seconds * 1000, 3), call.request_id, call.remote_addr,
                       direct=True)
            self.metrics.count_http("POST", call.route, call.status, call.seconds)
        finally:
            self.metrics.in_flight.dec()
            bound_request_id.reset(token)

    def _http(self, call: DirectCall, status: int, body: bytes, content_type: str,
              extra_headers: str) -> bytes:
        head = (f"HTTP/1.1 {status} {HTTP_STATUS_CODES.get(status, 'Unknown').upper()}\r\n"
                f"Server: gunicorn\r\nDate: {self._now()}\r\n"
                f"Connection: {'keep-alive' if call.keep_alive else 'close'}\r\n"
                f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                f"{extra_headers}{REQUEST_ID_HEADER}: {call.request_id}\r\n{_FIXED_HEADERS}\r\n")
        return head.encode("latin-1") + body

    def _now(self) -> str:
        """The Date header, formatted once a second."""
        second = int(time.time())
        text, at = self._date
        if at != second:
            text = formatdate(second, usegmt=True)
            self._date = (text, second)
        return text


def _dump(result: dict) -> bytes:
    return orjson.dumps(result, default=_default, option=_DUMP_OPTIONS)


def _problem(status: int, detail: str, errors: Any) -> tuple[int, bytes, str]:
    bound = bound_request_id.get()
    body = problem_body(status, detail, errors)
    if bound:
        body["request_id"] = bound
    return status, _dump(body), PROBLEM_MIMETYPE


def _v2_error(status: int, detail: str, errors: Any) -> tuple[int, bytes, str]:
    status, body = v2_error_body(status, detail, errors)
    return status, _dump(body), JSON


def init_app(app: Flask) -> None:
    """Offer the direct path to the worker (``ops/worker.py`` looks it up in the extensions)."""
    app.extensions[EXTENSION_KEY] = DirectRoutes(app)


def direct_routes(app: Any) -> DirectRoutes | None:
    """The direct path of a WSGI application, when it is ours and offers one."""
    extensions = getattr(app, "extensions", None)
    return extensions.get(EXTENSION_KEY) if isinstance(extensions, dict) else None
