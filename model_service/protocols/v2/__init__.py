"""The Open Inference Protocol (KServe V2) under ``/v2``: endpoints, tensor codec, its errors.

Every hosted model is served here too, so clients of ML platforms (tritonclient, MLServer's,
the open-inference OpenAPI client) work with no change; the mapping rule is in ``codec.py``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

PREFIX = "/v2"
#: Probes for the orchestrator (KServe's readiness probe), open whatever the API keys.
PROBE_PATHS = (f"{PREFIX}/health/live", f"{PREFIX}/health/ready")


def init_app(app: Flask) -> None:
    """Register the V2 blueprint; its errors, and unrouted ``/v2`` paths, answer ``{"error"}``."""
    from ...ops.auth import allow_anonymous
    from ..errors import claim_paths
    from ..openapi import OpenAPIPart, add_part
    from . import openapi_part
    from .endpoints import bp
    from .errors import error_response

    claim_paths(app, (PREFIX,), error_response)
    allow_anonymous(app, PROBE_PATHS)
    add_part(app, OpenAPIPart(openapi_part.prepare, openapi_part.add_models,
                              openapi_part.unauthorized_responses))
    app.register_blueprint(bp)
