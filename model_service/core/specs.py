"""Which models to host: the models file and installed packages' entry points, as ``ModelSpec``s.

Strict on purpose: a misspelt key (``confguration:``), a value of the wrong type or a YAML syntax
error is a ``ConfigurationError`` naming the file, the key and what was expected, never a model
that quietly loads with defaults. Without any models file the built-in iris demo is hosted, and
the log says so; a models file hosts exactly what it lists (plus installed packages, unless
``discover_entry_points: false``).

A configuration file written for rest-model-service is read as it is: its entries' keys
(``class_path``, ``create_endpoint``, ``configuration``, ``decorators``) have their meaning there,
and its service-level keys (``service_title``, ``description``, ``version``, ``logging``,
``metrics``) are checked for type and named in a warning, as this service does those its own way.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import yaml

from .batching import BatchSettings
from .errors import ConfigurationError
from .limits import Limits

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "model_service.models"
CONFIG_VARIABLE = "MODEL_SERVICE_CONFIG"
DEFAULT_FILE_NAME = "models.yaml"
DEMO_CLASS_PATH = "iris_model.IrisModel"
DEMO_SOURCE = "built-in default"

FILE_KEYS = {"models": "a list of model entries",
             "discover_entry_points": "true or false"}
# Keys of a rest-model-service configuration file that this service does its own way: accepted,
# so that such a file is read unchanged, checked for type, and each named in a warning.
REST_MODEL_SERVICE_KEYS = {
    "service_title": (str, "the API document has its own title"),
    "description": (str, "the API document has its own description"),
    "version": (str, "the API document carries the service's own version"),
    "logging": (dict, "logging is configured with --log-level or MODEL_SERVICE_LOG_LEVEL and "
                      "gunicorn's own options"),
    "metrics": (dict, "Prometheus metrics are always served at /metrics"),
}
ENTRY_KEYS = {"class_path": "a class path like 'package.module.ClassName'",
              "name": "a qualified name overriding the class's own",
              "configuration": "a mapping of keyword arguments for the model's __init__",
              "batching": "a mapping: enabled, max_batch_size, max_wait_ms",
              "create_endpoint": "true or false (false: load the model, expose it nowhere)",
              "decorators": "a list of {class_path, configuration}: ml_base MLModelDecorator "
                            "classes stacked on an ml_base model, first innermost",
              "limits": "a mapping: timeout_s, max_concurrency, max_queue"}
DECORATOR_KEYS = {"class_path": "a class path like 'package.module.DecoratorClass'",
                  "configuration": "a mapping of keyword arguments for the decorator's __init__"}


@dataclass
class DecoratorSpec:
    """An ``ml_base.MLModelDecorator`` to wrap a model in, as rest-model-service configures one."""

    class_path: str
    configuration: dict = field(default_factory=dict)


@dataclass
class ModelSpec:
    """Where a model comes from and how it is set up, before it is loaded."""

    name: str | None
    class_path: str
    configuration: dict = field(default_factory=dict)
    source: str = "config"
    entry_point: Any = None
    batching: BatchSettings | None = None  # None: the service's defaults decide
    model_class: type | None = None  # the class itself, when the host was handed one (tests)
    # False (``create_endpoint: false``): loaded, counted by readiness, and reachable only from
    # inside the process (ml_base's ModelManager), not through any protocol, page or listing.
    exposed: bool = True
    decorators: list[DecoratorSpec] = field(default_factory=list)  # ml_base models only
    limits: Limits | None = None  # None: the service's defaults


@dataclass
class ModelsFile:
    """What a models file says (or the built-in default when there is none)."""

    specs: list[ModelSpec]
    discover_entry_points: bool = True
    path: str | None = None


def default_models_file() -> str | None:
    """``MODEL_SERVICE_CONFIG`` when set, else ``models.yaml`` in the working directory if present."""
    explicit = os.environ.get(CONFIG_VARIABLE)
    if explicit:
        return explicit
    local = Path.cwd() / DEFAULT_FILE_NAME
    return str(local) if local.exists() else None


def _unknown_keys(given: dict, allowed: dict, source: str, where: str | None) -> None:
    unknown = sorted(str(key) for key in given if key not in allowed)
    if unknown:
        raise ConfigurationError(
            source, where if where else None,
            f"unknown key '{unknown[0]}' (expected one of: {', '.join(sorted(allowed))})")


def read_models_file(path: str | Path | None, batch_defaults: BatchSettings,
                     limit_defaults: Limits | None = None) -> ModelsFile:
    """Read the models file at ``path``; ``None`` means "no file": host the iris demo."""
    if path is None:
        log.info("No models file: hosting the built-in iris demo (%s). Write a %s, or set %s, "
                 "to choose the models.", DEMO_CLASS_PATH, DEFAULT_FILE_NAME, CONFIG_VARIABLE)
        return ModelsFile([ModelSpec(name=None, class_path=DEMO_CLASS_PATH, source=DEMO_SOURCE)])
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigurationError(source, None, "the models file does not exist") from None
    except OSError as error:
        raise ConfigurationError(source, None, f"cannot read the models file: {error.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise ConfigurationError(source, None, f"{at}{problem} (not valid YAML)") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigurationError(source, None, "expected a mapping with a 'models' list")
    _unknown_keys(data, {**FILE_KEYS, **REST_MODEL_SERVICE_KEYS}, source, None)
    for key, (kind, instead) in REST_MODEL_SERVICE_KEYS.items():
        if key in data:
            if not isinstance(data[key], kind):
                expected = "a string" if kind is str else "a mapping"
                raise ConfigurationError(source, key, f"expected {expected}")
            log.warning("%s: '%s' (a rest-model-service setting) is not used here: %s.",
                        source, key, instead)
    discover = data.get("discover_entry_points", True)
    if not isinstance(discover, bool):
        raise ConfigurationError(source, "discover_entry_points", "expected true or false")
    entries = data.get("models")
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise ConfigurationError(source, "models", "expected a list of model entries")
    specs = [_entry_spec(entry, f"models[{index}]", source, batch_defaults,
                         limit_defaults or Limits())
             for index, entry in enumerate(entries)]
    return ModelsFile(specs, discover, source)


def _entry_spec(entry: Any, where: str, source: str, batch_defaults: BatchSettings,
                limit_defaults: Limits) -> ModelSpec:
    class_path, configuration = _class_and_configuration(entry, ENTRY_KEYS, where, source)
    name = entry.get("name")
    if name is not None and not isinstance(name, str):
        raise ConfigurationError(source, f"{where}.name", "expected a string")
    batching = None
    if "batching" in entry:
        try:
            batching = BatchSettings.from_mapping(entry["batching"], None, batch_defaults)
        except ValueError as error:
            raise ConfigurationError(source, f"{where}.batching", str(error)) from None
    limits = None
    if "limits" in entry:
        try:
            limits = Limits.from_mapping(entry["limits"], limit_defaults)
        except ValueError as error:
            raise ConfigurationError(source, f"{where}.limits", str(error)) from None
    exposed = entry.get("create_endpoint", True)
    if not isinstance(exposed, bool):
        raise ConfigurationError(source, f"{where}.create_endpoint", "expected true or false")
    decorators = entry.get("decorators")
    if decorators is None:
        decorators = []
    if not isinstance(decorators, list):
        raise ConfigurationError(source, f"{where}.decorators", f"expected {ENTRY_KEYS['decorators']}")
    return ModelSpec(name=name, class_path=class_path, configuration=configuration,
                     source="config", batching=batching, limits=limits, exposed=exposed,
                     decorators=[_decorator_spec(item, f"{where}.decorators[{index}]", source)
                                 for index, item in enumerate(decorators)])


def _decorator_spec(entry: Any, where: str, source: str) -> DecoratorSpec:
    return DecoratorSpec(*_class_and_configuration(entry, DECORATOR_KEYS, where, source))


def _class_and_configuration(entry: Any, keys: dict, where: str, source: str) -> tuple[str, dict]:
    """Check an entry naming a class (a model's or a decorator's); return its class path and
    configuration, refusing a non-mapping entry, an unknown key or a value of the wrong type."""
    if not isinstance(entry, dict):
        raise ConfigurationError(source, where, "expected a mapping with a 'class_path'")
    _unknown_keys(entry, keys, source, where)
    class_path = entry.get("class_path")
    if not isinstance(class_path, str) or not class_path.strip():
        raise ConfigurationError(source, f"{where}.class_path", f"expected {keys['class_path']}")
    configuration = entry.get("configuration")
    if configuration is None:
        configuration = {}
    if not isinstance(configuration, dict):
        raise ConfigurationError(source, f"{where}.configuration",
                                 f"expected {keys['configuration']}")
    return class_path, configuration


def specs_from_entry_points() -> list[ModelSpec]:
    """One spec per entry point of the ``model_service.models`` group of installed packages."""
    specs = []
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(entry_point, "dist", None)
        source = f"package {dist.name} {dist.version}" if dist else "package"
        specs.append(ModelSpec(name=entry_point.name, class_path=entry_point.value,
                               source=source, entry_point=entry_point))
    return specs
