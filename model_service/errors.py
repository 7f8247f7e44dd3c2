"""Domain errors that carry their HTTP status, and the one place that turns errors into responses.

API clients (paths under ``/api`` and the probe endpoints) get ``application/problem+json``
(RFC 9457); browsers get an HTML page in the site layout. Neither ever sees a traceback.
"""
from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, current_app, render_template, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

PROBLEM_MIMETYPE = "application/problem+json"
_JSON_PATH_PREFIXES = ("/api/", "/healthz", "/readyz", "/metrics")


class ModelServiceError(Exception):
    """Base of the service's own errors; ``status`` is the HTTP status it maps to."""

    status = 500

    def __init__(self, detail: str, errors: Any = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class BadRequest(ModelServiceError):
    status = 400


class Unauthorized(ModelServiceError):
    status = 401


class ModelNotFound(ModelServiceError):
    status = 404


class PayloadTooLarge(ModelServiceError):
    status = 413


class UnsupportedMediaType(ModelServiceError):
    status = 415


class ValidationFailed(ModelServiceError):
    status = 422


class ModelNotReady(ModelServiceError):
    status = 503


class ModelFailure(ModelServiceError):
    """The model raised, or broke its own output contract: a 500 for that request only."""

    status = 500


class ModelContractError(Exception):
    """A model class does not implement the ``MLModel`` contract (a load-time error)."""


class ModelLoadError(Exception):
    """A configured or discovered model could not be loaded."""


def wants_json() -> bool:
    """Tell whether the current request is an API call (JSON errors) rather than a page view."""
    return request.path.startswith(_JSON_PATH_PREFIXES) or request.path in ("/api",)


# RFC 9110 names; the standard library still uses the older phrases for these two.
_TITLES = {413: "Content Too Large", 422: "Unprocessable Content"}


def status_title(status: int) -> str:
    return _TITLES.get(status) or HTTPStatus(status).phrase


def problem_body(status: int, detail: str | None = None, errors: Any = None, **extra: Any) -> dict:
    """Build an RFC 9457 problem-details object."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": status_title(status),
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    return body


def problem_response(status: int, detail: str | None = None, errors: Any = None,
                     headers: dict | None = None) -> Response:
    """Serialise a problem-details body with the problem+json media type."""
    body = problem_body(status, detail, errors)
    request_id = getattr(request, "request_id", None) if request else None
    if request_id:
        body["request_id"] = request_id
    response = current_app.response_class(
        current_app.json.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _html_error(status: int, detail: str) -> Response:
    html = render_template("error.html", status=status, title=status_title(status),
                           detail=detail)
    return current_app.response_class(html, status=status, mimetype="text/html")


def _respond(status: int, detail: str, errors: Any = None, headers: dict | None = None) -> Response:
    if wants_json():
        return problem_response(status, detail, errors, headers)
    response = _html_error(status, detail)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_service_error(error: ModelServiceError) -> Response:
    return _respond(error.status, error.detail, error.errors)


def handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    detail = error.description or HTTPStatus(status).description
    if status == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        detail = f"Request body is larger than the limit of {limit} bytes."
    elif status == 404 and wants_json():
        detail = f"No such path: {request.path}"
    elif status == 405:
        allowed = error.valid_methods if hasattr(error, "valid_methods") else None
        detail = f"Method {request.method} is not allowed on {request.path}."
        if allowed:
            detail += " Allowed: " + ", ".join(sorted(allowed)) + "."
    headers = {}
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    return _respond(status, detail, headers=headers)


def handle_unexpected(error: Exception) -> Response:
    # The traceback goes to the log only; the client learns that something failed, not how.
    log.exception("Unhandled error on %s %s", request.method, request.path)
    return _respond(500, "The server failed to handle this request; the error has been logged.")


def register_error_handlers(app: Flask) -> None:
    """Route every error through the problem+json / HTML responders above."""
    app.register_error_handler(ModelServiceError, handle_service_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
