"""Errors as responses: each blueprint renders its own, the app answers what none can route.

A renderer turns ``(status, detail, errors, headers)`` into a response in its protocol's shape
(problem+json for the native API, an HTML page for the site). ``register_error_handlers`` gives a
blueprint (or the app) handlers that route every exception of its views through its renderer.
Unknown paths and wrong methods are found before any blueprint is chosen: the app-level
fallback gives them to the renderer that *claims* the path's prefix (``claim_paths``), else picks
JSON or HTML by the client's ``Accept`` header. That is the one place this choice is made.
"""
from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any, Callable

from flask import Blueprint, Flask, current_app, request
from werkzeug.exceptions import HTTPException

from ..core.errors import ModelServiceError

log = logging.getLogger(__name__)

Renderer = Callable[[int, str, Any, dict], Any]
EXTENSION_KEY = "error_renderers"
FALLBACK_KEY = "error_fallback"
UNEXPECTED = "The server failed to handle this request; the error has been logged."

# RFC 9110 names; the standard library still uses the older phrases for these two.
_TITLES = {413: "Content Too Large", 422: "Unprocessable Content",
           499: "Client Closed Request"}  # nginx's name; only ever seen in logs


def status_title(status: int) -> str:
    return _TITLES.get(status) or HTTPStatus(status).phrase


def describe_http_exception(error: HTTPException) -> tuple[int, str, dict]:
    """Return ``(status, detail, headers)`` for a werkzeug HTTP error, in the service's words."""
    status = error.code or 500
    detail = error.description or HTTPStatus(status).description
    headers = {}
    if status == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        detail = f"Request body is larger than the limit of {limit} bytes."
    elif status == 404:
        detail = f"No such path: {request.path}"
    elif status == 405:
        allowed = sorted(getattr(error, "valid_methods", None) or ())
        detail = f"Method {request.method} is not allowed on {request.path}."
        if allowed:
            detail += " Allowed: " + ", ".join(allowed) + "."
            headers["Allow"] = ", ".join(allowed)
    return status, detail, headers


def register_error_handlers(target: Flask | Blueprint, render: Renderer) -> None:
    """Send every exception raised in ``target``'s views through ``render``; never a traceback."""

    def service_error(error: ModelServiceError):
        return render(error.status, error.detail, error.errors, error.headers)

    def http_error(error: HTTPException):
        status, detail, headers = describe_http_exception(error)
        return render(status, detail, None, headers)

    def unexpected(error: Exception):
        # The traceback goes to the log only; the client learns that something failed, not how.
        log.exception("Unhandled error on %s %s", request.method, request.path)
        return render(500, UNEXPECTED, None, {})

    target.register_error_handler(ModelServiceError, service_error)
    target.register_error_handler(HTTPException, http_error)
    target.register_error_handler(Exception, unexpected)


def claim_paths(app: Flask, prefixes: tuple[str, ...], render: Renderer) -> None:
    """Let ``render`` answer the errors of unrouted requests under ``prefixes``."""
    app.extensions.setdefault(EXTENSION_KEY, []).extend((prefix, render) for prefix in prefixes)


def _owner(path: str) -> Renderer | None:
    for prefix, render in current_app.extensions.get(EXTENSION_KEY, ()):
        if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
            return render
    return None


def wants_json() -> bool:
    """Tell whether this request is an API call: a claimed path, or a client asking for JSON."""
    if _owner(request.path) is not None:
        return True
    accepted = request.accept_mimetypes
    best = accepted.best_match(["text/html", "application/json", "application/problem+json"])
    return best is not None and best != "text/html" and accepted[best] > accepted["text/html"]


def render_error(status: int, detail: str, errors: Any = None, headers: dict | None = None):
    """Answer an error of this request by the path's owner, else as JSON or HTML by ``Accept``."""
    owner = _owner(request.path)
    if owner is None:
        render_json, render_html = current_app.extensions[FALLBACK_KEY]
        owner = render_json if wants_json() else render_html
    return owner(status, detail, errors, headers or {})


def register_fallback(app: Flask, render_json: Renderer, render_html: Renderer) -> None:
    """Answer errors outside every blueprint (unknown paths, wrong methods) with ``render_error``."""
    app.extensions[FALLBACK_KEY] = (render_json, render_html)
    register_error_handlers(app, render_error)
