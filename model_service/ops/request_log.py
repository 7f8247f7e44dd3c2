"""Request ids and structured logs: one JSON line per request, and JSON for every other record.

An incoming ``X-Request-ID`` is kept when it is sane (printable, at most 128 characters);
otherwise a fresh one is made. It is echoed in the ``X-Request-ID`` response header, in
problem+json bodies (``protocols.native.problems.problem_response`` reads ``request.request_id``) and in every
log record written while the request runs, so a client's report leads straight to the
server-side traceback.
"""
from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import datetime, timezone

import orjson
from flask import Flask, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"^[\x21-\x7e]{1,128}$")  # visible ASCII, no spaces
access_log = logging.getLogger("model_service.access")
#: The id of the request being answered outside Flask (the worker's direct path, ``ops/direct.py``).
bound_request_id: ContextVar[str | None] = ContextVar("bound_request_id", default=None)

# Attributes every LogRecord has; anything else was passed with ``extra=`` and is kept.
_RECORD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object on one line (tracebacks included, as a string)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc)
            .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(entry, default=str).decode()


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _escape_control(match: re.Match) -> str:
    return "\\x%02x" % ord(match.group())


class TextFormatter(logging.Formatter):
    """One line per record in plain text; control characters in it are escaped.

    A path like ``/x%0a2026-01-01 INFO forged`` decodes to a line break, which would start a
    line the service never wrote. The record's line is escaped (``\\x0a``); a traceback
    that follows it keeps its own lines.
    """

    def formatMessage(self, record: logging.LogRecord) -> str:
        return _CONTROL.sub(_escape_control, super().formatMessage(record))


class RequestIdFilter(logging.Filter):
    """Stamp records made while a request runs with that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            request_id = getattr(request, "request_id", None) if has_request_context() \
                else bound_request_id.get()
            if request_id:
                record.request_id = request_id
        return True


def configure_logging(level: str | int = "INFO", fmt: str = "json") -> None:
    """Send records to stderr, as JSON lines unless ``fmt`` is ``text``; set the level.

    Like ``logging.basicConfig``, it leaves alone a root logger that already has handlers
    (a test runner's, or an embedding application's), apart from the level.
    """
    root = logging.getLogger()
    root.setLevel(level.upper() if isinstance(level, str) else level)
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter() if fmt != "text" else TextFormatter(
            "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
            defaults={"request_id": "-"}))
        root.addHandler(handler)
    for handler in root.handlers:
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())


def _request_id() -> str:
    return request_id_from(request.headers.get(REQUEST_ID_HEADER, ""))


def request_id_from(incoming: str | None) -> str:
    """The client's ``X-Request-ID`` when it is sane, else a fresh id."""
    return incoming if incoming and _SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex


def log_access(method: str, path: str, route: str | None, model: str | None, status: int,
               duration_ms: float | None, request_id: str, remote_addr: str | None,
               **more: object) -> None:
    """Write the one access line of a request (by Flask's hook, or by the direct path, which
    adds ``direct: true``)."""
    access_log.info(
        "%s %s %s", method, path, status,
        extra={"event": "request", "request_id": request_id, "method": method, "path": path,
               "route": route, "model": model, "status": status, "duration_ms": duration_ms,
               "remote_addr": remote_addr, **more})


def init_app(app: Flask) -> None:
    """Give every request an id, echo it, and write one access-log line per request."""

    @app.before_request
    def start_request():
        request.request_id = _request_id()
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        request_id = getattr(request, "request_id", None) or _request_id()
        response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        duration_ms = round((time.perf_counter() - started) * 1000, 3) if started else None
        view_args = request.view_args or {}
        log_access(request.method, request.path,
                   request.url_rule.rule if request.url_rule else None, view_args.get("name"),
                   response.status_code, duration_ms, request_id, request.remote_addr)
        return response
