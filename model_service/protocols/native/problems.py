"""The native API's error shape: ``application/problem+json`` (RFC 9457)."""
from __future__ import annotations

from typing import Any

from flask import Response, current_app, request

from ..errors import status_title

PROBLEM_MIMETYPE = "application/problem+json"


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
    """Serialise a problem-details body (with the request's id) as problem+json."""
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
