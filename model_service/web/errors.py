"""The site's error shape: an HTML page in the site layout, never JSON and never a traceback."""
from __future__ import annotations

from typing import Any

from flask import Response, current_app, render_template, request

from ..protocols.errors import status_title


def html_error(status: int, detail: str, errors: Any = None, headers: dict | None = None) -> Response:
    """Render the error page for ``status`` with ``detail``, and the request's id to quote."""
    html = render_template("error.html", status=status, title=status_title(status), detail=detail,
                           request_id=current_request_id())
    response = current_app.response_class(html, status=status, mimetype="text/html")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def current_request_id() -> str | None:
    """The id the request log gave this request (``X-Request-ID``), when it gave one."""
    return getattr(request, "request_id", None)
