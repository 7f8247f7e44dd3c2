"""The native JSON API under ``/api``: endpoints, JSON codec, problem+json errors, OpenAPI part.

This file only wires the parts together, on demand: other packages import the problem renderer
(``problems.py``) without loading the endpoints, the document builder and what they import.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

PREFIX = "/api"


def init_app(app: Flask) -> None:
    """Register the API blueprint; its errors, and unrouted ``/api`` paths, answer problem+json."""
    from ..errors import claim_paths
    from ..openapi import OpenAPIPart, add_part
    from . import openapi_part
    from .endpoints import bp
    from .problems import problem_response

    claim_paths(app, (PREFIX,), problem_response)
    add_part(app, OpenAPIPart(openapi_part.prepare, openapi_part.add_models))
    app.register_blueprint(bp)
