"""Model Service: host any ``MLModel`` behind a documented, validated web service.

``create_app()`` builds the application; ``MLModel`` is the contract a model package implements.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
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

    app.session_interface = LazySessionInterface()
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


class LazySessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building a signing serializer for cookieless requests.

    Most API calls carry no cookie; Flask would still build a serializer (key derivation included)
    on every one of them, a noticeable share of a prediction's time. Without a cookie the session
    starts empty either way, so it is created directly.
    """

    def open_session(self, app, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
_SECURITY_HEADER_NAMES = frozenset(name.lower() for name, _ in SECURITY_HEADERS)


def _register_security_headers(app: Flask) -> None:
    """Send strict security headers on every response: only our own origin may supply content."""

    @app.after_request
    def set_security_headers(response):
        headers = response.headers
        present = _SECURITY_HEADER_NAMES.intersection(headers.keys(lower=True))
        # One pass over the (list-based) headers instead of six lookups: this runs per request.
        headers.extend([(name, value) for name, value in SECURITY_HEADERS
                        if name.lower() not in present] if present else SECURITY_HEADERS)
        return response
