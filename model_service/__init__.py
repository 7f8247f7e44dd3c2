"""Model Service: host any ``MLModel`` behind a documented, validated web service.

``create_app()`` builds the application; ``MLModel`` is the contract a model package implements.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask_bootstrap import Bootstrap5

from . import auth, metrics, request_log
from .base import MLModel
from .config import _default_models_file, settings_class
from .errors import register_error_handlers
from .jsonio import OrjsonProvider
from .manager import ModelManager, get_manager

__all__ = ["MLModel", "create_app", "get_manager", "__version__"]
__version__ = "0.1.0"

PACKAGE_DIR = Path(__file__).resolve().parent


def _asset_dir(name: str) -> str:
    """Find ``templates``/``static``: inside the installed package, or at the checkout's root."""
    installed = PACKAGE_DIR / name
    return str(installed if installed.is_dir() else PACKAGE_DIR.parent / name)


def create_app(test_config: dict[str, Any] | None = None, settings: str | None = None) -> Flask:
    """Build the application: configuration, models (loaded once, here), blueprints, handlers."""
    app = Flask(
        __name__,
        template_folder=_asset_dir("templates"),
        static_folder=_asset_dir("static"),
    )
    app.json_provider_class = OrjsonProvider
    app.json = OrjsonProvider(app)
    app.config.from_object(settings_class(settings))
    app.config["MODEL_SERVICE_CONFIG"] = _default_models_file()
    if test_config:
        app.config.update(test_config)
    app.config["SERVICE_VERSION"] = __version__

    request_log.configure_logging(app.config["LOG_LEVEL"], app.config.get("LOG_FORMAT", "json"))
    register_error_handlers(app)
    _register_security_headers(app)

    ModelManager(app)
    Bootstrap5(app)  # serves Bootstrap's CSS from our origin (BOOTSTRAP_SERVE_LOCAL)
    # Request ids first (401 bodies carry them), then metrics (401s are counted), then keys.
    request_log.init_app(app)
    metrics.init_app(app)
    auth.init_app(app)

    from . import api, health, views

    app.register_blueprint(api.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(views.bp)

    from . import docs

    docs.init_app(app)  # keep last: the API document covers every route registered above
    return app


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def _register_security_headers(app: Flask) -> None:
    """Send strict security headers on every response: only our own origin may supply content."""

    @app.after_request
    def set_security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response
