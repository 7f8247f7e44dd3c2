"""The V2 protocol's error shape: ``{"error": "<message>"}`` with the same statuses as the API.

A schema violation is a 400 in this protocol (the Open Inference Protocol has no 422), its field
errors flattened into the one message, naming the row and the input of each problem.
"""
from __future__ import annotations

from typing import Any

from flask import Response, current_app

from .codec import field_errors_message


def error_response(status: int, detail: str, errors: Any = None,
                   headers: dict | None = None) -> Response:
    """Serialise ``{"error": detail}`` (a 422 with field errors becomes a 400 naming them)."""
    status, body = error_body(status, detail, errors)
    response = current_app.response_class(current_app.json.dumps(body),
                                          status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def error_body(status: int, detail: str, errors: Any = None) -> tuple[int, dict]:
    """The status and body of an error in this protocol's shape."""
    if status == 422:
        status, detail = 400, field_errors_message(detail, errors, by_row=_by_row(errors))
    return status, {"error": detail}


def _by_row(errors: Any) -> bool:
    """Tell whether field errors are keyed by row index (a batch) rather than by field."""
    return isinstance(errors, dict) and bool(errors) and all(
        isinstance(key, str) and key.isdigit() for key in errors)
