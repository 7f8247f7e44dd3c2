"""Configuration classes, chosen by the ``APP_SETTINGS`` environment variable.

Every value reads the environment with a safe default, so importing this module never fails.
"""
from __future__ import annotations

import os
from pathlib import Path


def _int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def _default_models_file() -> str | None:
    """``MODEL_SERVICE_CONFIG`` when set, else ``models.yaml`` in the working directory if present."""
    explicit = os.environ.get("MODEL_SERVICE_CONFIG")
    if explicit:
        return explicit
    local = Path.cwd() / "models.yaml"
    return str(local) if local.exists() else None


class Config:
    """Settings shared by every environment; production-safe by default."""

    DEBUG = False
    TESTING = False
    SECRET_KEY = os.environ.get("SECRET_KEY") or os.urandom(32).hex()
    MODEL_SERVICE_CONFIG = None  # resolved at app creation by _default_models_file()
    DISCOVER_ENTRY_POINTS = True
    MAX_CONTENT_LENGTH = _int("MODEL_SERVICE_MAX_BODY_BYTES", 10 * 1024 * 1024)
    MAX_BATCH_SIZE = _int("MODEL_SERVICE_MAX_BATCH_SIZE", 10_000)
    # Micro-batching of concurrent single predictions: "auto" batches the models that override
    # predict_batch, "off" none; a model's `batching:` entry in the models file wins.
    MICRO_BATCHING = os.environ.get("MODEL_SERVICE_MICRO_BATCHING", "auto")
    MICRO_BATCH_MAX_SIZE = _int("MODEL_SERVICE_MICRO_BATCH_MAX_SIZE", 64)
    MICRO_BATCH_MAX_WAIT_MS = _int("MODEL_SERVICE_MICRO_BATCH_MAX_WAIT_MS", 2)
    BOOTSTRAP_SERVE_LOCAL = True
    LOG_LEVEL = os.environ.get("MODEL_SERVICE_LOG_LEVEL", "INFO")
    LOG_FORMAT = os.environ.get("MODEL_SERVICE_LOG_FORMAT", "json")  # or "text"
    API_KEYS = os.environ.get("MODEL_SERVICE_API_KEYS", "")  # comma-separated; empty: open
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_ENABLED = True


class DevelopmentConfig(Config):
    DEBUG = True


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret-key"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = os.environ.get("MODEL_SERVICE_SECURE_COOKIES", "0") == "1"


SETTINGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def settings_class(name: str | None = None) -> type[Config]:
    """Return the class named by ``name`` or ``APP_SETTINGS`` (a short name or a dotted path)."""
    name = name or os.environ.get("APP_SETTINGS", "production")
    key = name.rsplit(".", 1)[-1].lower().removesuffix("config")
    return SETTINGS.get(key, ProductionConfig)
