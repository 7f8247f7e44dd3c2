"""The native JSON API under ``/api``: endpoints, JSON codec, problem+json errors."""
from __future__ import annotations

from flask import Flask

PREFIX = "/api"


def init_app(app: Flask) -> None:
    """Register the API blueprint; its errors, and unrouted ``/api`` paths, answer problem+json."""
    from ..errors import claim_paths
    from .endpoints import bp
    from .problems import problem_response

    claim_paths(app, (PREFIX,), problem_response)
    app.register_blueprint(bp)
