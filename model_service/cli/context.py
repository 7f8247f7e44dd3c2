"""What the verbs share: the settings in force and the models loaded as the server would."""
from __future__ import annotations

import logging
import os
import sys

from ..config import resolve_settings
from ..core.registry import ModelRegistry
from ..core.specs import default_models_file

CLI_LOG_LEVEL = "WARNING"  # data on stdout, only problems on stderr


def service_settings() -> dict:
    """The settings a server started here would use (``ConfigurationError`` when one is bad)."""
    settings = resolve_settings()
    settings["MODEL_SERVICE_CONFIG"] = default_models_file()
    return settings


def load_registry() -> ModelRegistry:
    """Load the models exactly as the server would, without a web application."""
    from ..hosting import load_configured, registry_from_config

    settings = service_settings()
    if not logging.getLogger().handlers:
        logging.basicConfig(stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(os.environ.get("MODEL_SERVICE_LOG_LEVEL", CLI_LOG_LEVEL).upper())
    registry = registry_from_config(settings)
    load_configured(registry, settings)
    return registry


def build_app():
    """The web application (for the verbs that need its routes, such as ``openapi``)."""
    from ..app import create_app

    return create_app({"LOG_LEVEL": os.environ.get("MODEL_SERVICE_LOG_LEVEL", CLI_LOG_LEVEL)})
