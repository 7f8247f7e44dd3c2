"""The application factory: settings, the registry, protocols, pages and operations, wired once.

Everything a request can reach is registered here, in one readable order; each part brings its
own blueprint, error rendering and hooks through its ``init_app``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from . import __version__, hosting
from .config import resolve_settings
from .core.specs import default_models_file
from .hosting import get_registry
from .ops import auth, direct, health, metrics, request_log, security
from .protocols import docs, native, v2
from .protocols.errors import register_fallback
from .protocols.native.codec import MemoryRequest, OrjsonProvider
from .protocols.native.problems import problem_response
from .web import pages
from .web.errors import html_error

__all__ = ["create_app", "get_registry"]

PACKAGE_DIR = Path(__file__).resolve().parent


def _asset_dir(name: str) -> str:
    """Find ``templates``/``static``: inside the installed package, or at the checkout's root."""
    installed = PACKAGE_DIR / name
    return str(installed if installed.is_dir() else PACKAGE_DIR.parent / name)


def create_app(test_config: dict[str, Any] | None = None, settings: str | None = None) -> Flask:
    """Build the application: settings, models (loaded once, here), blueprints, handlers.

    Raises ``ConfigurationError`` for a setting or models file the service cannot use.
    """
    app = Flask(__name__, template_folder=_asset_dir("templates"),
                static_folder=_asset_dir("static"))
    app.request_class = MemoryRequest
    app.json_provider_class = OrjsonProvider
    app.json = OrjsonProvider(app)
    app.config.update(resolve_settings(settings))
    app.config["MODEL_SERVICE_CONFIG"] = default_models_file()
    if test_config:
        app.config.update(test_config)
    app.config["SERVICE_VERSION"] = __version__

    request_log.configure_logging(app.config["LOG_LEVEL"], app.config.get("LOG_FORMAT", "json"))
    security.init_app(app)
    register_fallback(app, problem_response, html_error)

    hosting.init_app(app)
    metrics.init_app(app)  # subscribes to model loading: before the models load
    hosting.load_models(app)

    # Request ids first (401 bodies carry them), then metrics (401s are counted), then keys.
    request_log.init_app(app)
    metrics.init_request_hooks(app)
    auth.init_app(app)

    native.init_app(app)
    v2.init_app(app)
    direct.init_app(app)  # the worker's Flask-free path for the two prediction routes
    health.init_app(app)
    pages.init_app(app)
    docs.init_app(app)  # keep last: the API document covers every route registered above
    return app
