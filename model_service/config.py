"""Settings: the configuration classes (``APP_SETTINGS``) and the environment variables over them.

Importing this module never fails: the classes hold defaults only. The environment is read when
an application is built (``settings_from_environment``), once, typed: a value the service cannot
use (``MODEL_SERVICE_MICRO_BATCH_MAX_WAIT_MS=soon``) or an unknown ``APP_SETTINGS`` name
(``devlopment``) raises ``ConfigurationError`` naming the variable and what was expected,
instead of falling back to a default nobody asked for.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from .core.batching import DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_WAIT_MS, check_batch_size, check_wait_ms
from .core.errors import ConfigurationError
from .core.limits import (DEFAULT_MAX_CONCURRENCY, DEFAULT_MAX_QUEUE, DEFAULT_TIMEOUT_S,
                          check_timeout)

SETTINGS_VARIABLE = "APP_SETTINGS"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class Config:
    """Settings shared by every environment; production-safe by default."""

    DEBUG = False
    TESTING = False
    SECRET_KEY = os.environ.get("SECRET_KEY") or os.urandom(32).hex()
    MODEL_SERVICE_CONFIG = None  # the models file; resolved when the app is built
    DISCOVER_ENTRY_POINTS = True
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024
    # Multipart bodies: text parts may hold base64 media up to the body limit (the default,
    # 500 kB, would refuse a 400 kB photo sent as text); a model has a few fields, not 1,000.
    MAX_FORM_MEMORY_SIZE = None  # None: bounded by MAX_CONTENT_LENGTH
    MAX_FORM_PARTS = 100
    MAX_BATCH_SIZE = 10_000
    # Checked before a JSON body is parsed: nesting (the schema checks recurse once per level)
    # and values in all (a 10 MiB body of `[{},{},...]` would otherwise build 3.5 million dicts).
    MAX_JSON_DEPTH = 64
    MAX_JSON_VALUES = 500_000  # parsed, at most about 32 MB of objects
    # Micro-batching of concurrent single predictions: "auto" batches the models that override
    # predict_batch, "off" none; a model's `batching:` entry in the models file wins.
    MICRO_BATCHING = "auto"
    MICRO_BATCH_MAX_SIZE = DEFAULT_MAX_BATCH_SIZE
    MICRO_BATCH_MAX_WAIT_MS = DEFAULT_MAX_WAIT_MS
    # Per-model limits (a model's `limits:` entry in the models file wins): seconds a caller
    # waits before a 504, calls at once per worker, callers waiting beyond those (then 503).
    MODEL_TIMEOUT_S = DEFAULT_TIMEOUT_S
    MODEL_MAX_CONCURRENCY = DEFAULT_MAX_CONCURRENCY
    MODEL_MAX_QUEUE = DEFAULT_MAX_QUEUE
    BOOTSTRAP_SERVE_LOCAL = True
    LOG_LEVEL = "INFO"
    LOG_FORMAT = "json"  # or "text"
    API_KEYS = ""  # comma-separated; empty: open
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    WTF_CSRF_ENABLED = True


class DevelopmentConfig(Config):
    DEBUG = True


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret-key"


class ProductionConfig(Config):
    pass


SETTINGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def settings_class(name: str | None = None) -> type[Config]:
    """Return the class named by ``name`` or ``APP_SETTINGS`` (a short name or a dotted path).

    ``production``, ``ProductionConfig`` and ``config.ProductionConfig`` all name the same class.
    """
    given = name or os.environ.get(SETTINGS_VARIABLE) or "production"
    key = given.rsplit(".", 1)[-1].lower().removesuffix("config")
    try:
        return SETTINGS[key]
    except KeyError:
        raise ConfigurationError(SETTINGS_VARIABLE, None, f"unknown settings '{given}' (expected "
                                 "one of: " + ", ".join(SETTINGS) + ")") from None


# --- The environment ----------------------------------------------------------------------

def _integer(low: int) -> Callable[[str], Any]:
    def read(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise ValueError(f"expected an integer of at least {low}") from None
        if value < low:
            raise ValueError(f"expected an integer of at least {low}")
        return value
    return read


def _choice(*choices: str, upper: bool = False) -> Callable[[str], str]:
    def read(text: str) -> str:
        value = text.strip().upper() if upper else text.strip().lower()
        if value not in choices:
            raise ValueError("expected one of: " + ", ".join(choices))
        return value
    return read


def _flag(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected 1 or 0 (true or false)")


def _number(expected: str, check: Callable[[Any, str], None]) -> Callable[[str], float]:
    """A reader of a number that ``check`` accepts; ``expected`` says what it must be."""
    def read(text: str) -> float:
        try:
            value = float(text.strip())
        except ValueError:
            raise ValueError(f"expected {expected}") from None
        check(value, "the value")
        return value
    return read


_milliseconds = _number("a number of milliseconds from 0 to 1000", check_wait_ms)


def _batch_size(text: str) -> int:
    value = _integer(1)(text)
    check_batch_size(value, "the value")
    return value


_seconds = _number("a number of seconds above 0, at most 3600", check_timeout)


def _text(text: str) -> str:
    return text


@dataclass(frozen=True)
class Variable:
    """One environment variable: the setting it fills and how its text is read."""

    name: str
    setting: str
    read: Callable[[str], Any]


ENVIRONMENT = (
    Variable("MODEL_SERVICE_MAX_BODY_BYTES", "MAX_CONTENT_LENGTH", _integer(1)),
    Variable("MODEL_SERVICE_MAX_BATCH_SIZE", "MAX_BATCH_SIZE", _integer(1)),
    Variable("MODEL_SERVICE_MAX_JSON_DEPTH", "MAX_JSON_DEPTH", _integer(1)),
    Variable("MODEL_SERVICE_MAX_JSON_VALUES", "MAX_JSON_VALUES", _integer(1)),
    Variable("MODEL_SERVICE_MICRO_BATCHING", "MICRO_BATCHING", _choice("auto", "off")),
    Variable("MODEL_SERVICE_MICRO_BATCH_MAX_SIZE", "MICRO_BATCH_MAX_SIZE", _batch_size),
    Variable("MODEL_SERVICE_MICRO_BATCH_MAX_WAIT_MS", "MICRO_BATCH_MAX_WAIT_MS", _milliseconds),
    Variable("MODEL_SERVICE_TIMEOUT_S", "MODEL_TIMEOUT_S", _seconds),
    Variable("MODEL_SERVICE_MAX_CONCURRENCY", "MODEL_MAX_CONCURRENCY", _integer(1)),
    Variable("MODEL_SERVICE_MAX_QUEUE", "MODEL_MAX_QUEUE", _integer(0)),
    Variable("MODEL_SERVICE_LOG_LEVEL", "LOG_LEVEL", _choice(*LOG_LEVELS, upper=True)),
    Variable("MODEL_SERVICE_LOG_FORMAT", "LOG_FORMAT", _choice("json", "text")),
    Variable("MODEL_SERVICE_API_KEYS", "API_KEYS", _text),
    Variable("MODEL_SERVICE_SECURE_COOKIES", "SESSION_COOKIE_SECURE", _flag),
)


def settings_from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read every ``MODEL_SERVICE_*`` setting that is set; raise ``ConfigurationError`` on a bad one."""
    environ = os.environ if environ is None else environ
    settings = {}
    for variable in ENVIRONMENT:
        text = environ.get(variable.name)
        if text is None:
            continue
        try:
            settings[variable.setting] = variable.read(text)
        except ValueError as error:
            raise ConfigurationError(variable.name, None,
                                     f"{error} (got {text!r})") from None
    return settings


def resolve_settings(name: str | None = None) -> dict[str, Any]:
    """The settings in force: the class named by ``name``/``APP_SETTINGS``, then the environment.

    Raises ``ConfigurationError`` for an unknown class name or a bad environment value.
    """
    settings = {key: value for key, value in vars(Config).items() if key.isupper()}
    cls = settings_class(name)
    for klass in reversed(cls.__mro__):
        settings.update({key: value for key, value in vars(klass).items() if key.isupper()})
    settings.update(settings_from_environment())
    return settings
