"""The per-application registry of hosted models: what to load, loading it, and its status.

Models come from the YAML configuration and from the ``model_service.models`` entry-point group
(installed packages). Each is instantiated once, at start-up. A model that fails to load is kept
as ``failed`` with the reason, so one broken package never stops the others from serving.
"""
from __future__ import annotations

import importlib
import logging
import time
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import yaml
from flask import Flask

from . import prediction
from .base import QUALIFIED_NAME_PATTERN, MLModel
from .batching import BatchSettings, MicroBatcher
from .errors import ModelContractError, ModelLoadError, ModelNotFound, ModelNotReady
from .validation import SchemaValidator

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "model_service.models"
EXTENSION_KEY = "model_manager"


@dataclass
class ModelSpec:
    """Where a model comes from, before it is loaded."""

    name: str | None
    class_path: str
    configuration: dict = field(default_factory=dict)
    source: str = "config"
    entry_point: Any = None
    batching: Any = None  # the entry's `batching:` mapping, checked when the model loads


@dataclass
class HostedModel:
    """One model slot: its class and instance when ready, or the reason it failed."""

    name: str
    source: str
    class_path: str
    status: str = "failed"
    error: str | None = None
    model: MLModel | None = None
    model_class: type | None = None
    input_validator: SchemaValidator | None = None
    output_validator: SchemaValidator | None = None
    batch_settings: BatchSettings | None = None
    batcher: MicroBatcher | None = None  # None: single predictions call the model directly
    load_seconds: float = 0.0

    @property
    def ready(self) -> bool:
        return self.status == "ready"

    def _class_attribute(self, attribute: str, default: str) -> str:
        value = getattr(self.model_class, attribute, None)
        return value if isinstance(value, str) else default

    @property
    def display_name(self) -> str:
        return self._class_attribute("display_name", self.name)

    @property
    def description(self) -> str:
        return self._class_attribute("description", "")

    @property
    def version(self) -> str:
        return self._class_attribute("version", "")

    def summary(self) -> dict:
        """The public description of this model, as listed by the API."""
        summary = {
            "qualified_name": self.name,
            "display_name": self.display_name,
            "description": self.description,
            "version": self.version,
            "status": self.status,
        }
        if self.error:
            summary["error"] = self.error
        return summary


def import_class(class_path: str) -> type:
    """Import ``package.module.Class`` or ``package.module:Class``."""
    module_name, sep, class_name = class_path.replace(":", ".").rpartition(".")
    if not sep or not module_name:
        raise ModelLoadError(f"'{class_path}' is not a class path like 'package.module.ClassName'.")
    try:
        module = importlib.import_module(module_name)
    except Exception as error:
        raise ModelLoadError(f"cannot import module '{module_name}': {error}") from error
    try:
        return getattr(module, class_name)
    except AttributeError:
        raise ModelLoadError(f"module '{module_name}' has no attribute '{class_name}'.") from None


def read_configuration(path: str | Path | None) -> dict:
    """Read the models file; a missing default file means 'no configured models'."""
    if path is None:
        return {}
    path = Path(path)
    if not path.exists():
        raise ModelLoadError(f"models configuration file '{path}' does not exist.")
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    if not isinstance(data, dict):
        raise ModelLoadError(f"'{path}' must hold a mapping with a 'models' list.")
    models = data.get("models") or []
    if not isinstance(models, list):
        raise ModelLoadError(f"'{path}': 'models' must be a list.")
    return data


def specs_from_configuration(data: dict) -> list[ModelSpec]:
    specs = []
    for index, entry in enumerate(data.get("models") or []):
        if not isinstance(entry, dict) or not isinstance(entry.get("class_path"), str):
            raise ModelLoadError(f"models[{index}] needs a 'class_path' string.")
        configuration = entry.get("configuration") or {}
        if not isinstance(configuration, dict):
            raise ModelLoadError(f"models[{index}].configuration must be a mapping.")
        specs.append(ModelSpec(name=entry.get("name"), class_path=entry["class_path"],
                               configuration=configuration, source="config",
                               batching=entry.get("batching")))
    return specs


def specs_from_entry_points() -> list[ModelSpec]:
    specs = []
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(entry_point, "dist", None)
        source = f"package {dist.name} {dist.version}" if dist else "package"
        specs.append(ModelSpec(name=entry_point.name, class_path=entry_point.value,
                               source=source, entry_point=entry_point))
    return specs


class ModelManager:
    """Load and hold the models of one application (a Flask extension in ``app.extensions``)."""

    def __init__(self, app: Flask | None = None) -> None:
        self.models: dict[str, HostedModel] = {}
        self.batching_mode = "auto"
        self.batch_defaults = BatchSettings(enabled=False)
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        app.extensions[EXTENSION_KEY] = self
        self.batching_mode = str(app.config.get("MICRO_BATCHING", "auto")).lower()
        self.batch_defaults = BatchSettings(
            enabled=False,
            max_batch_size=max(1, int(app.config.get("MICRO_BATCH_MAX_SIZE", 64))),
            max_wait_ms=max(0.0, float(app.config.get("MICRO_BATCH_MAX_WAIT_MS", 0))),
        )
        config_path = app.config.get("MODEL_SERVICE_CONFIG")
        data = read_configuration(config_path)
        discover = data.get("discover_entry_points", app.config.get("DISCOVER_ENTRY_POINTS", True))
        specs = specs_from_configuration(data)
        if discover:
            configured = {spec.name or self._class_name_hint(spec) for spec in specs}
            specs += [s for s in specs_from_entry_points() if s.name not in configured]
        self.load(specs)

    @staticmethod
    def _class_name_hint(spec: ModelSpec) -> str | None:
        try:
            return getattr(import_class(spec.class_path), "qualified_name", None)
        except ModelLoadError:
            return None

    def load(self, specs: list[ModelSpec]) -> None:
        """Instantiate every model once; record failures instead of raising them."""
        seen: dict[str, ModelSpec] = {}
        for spec in specs:
            hosted = self._load_one(spec)
            if hosted.name in seen:
                first = seen[hosted.name]
                message = (f"duplicate model name '{hosted.name}': provided by both "
                           f"{first.class_path} ({first.source}) and {spec.class_path} ({spec.source})")
                log.error("Model load error: %s", message)
                self.models[hosted.name] = HostedModel(
                    name=hosted.name, source=spec.source, class_path=spec.class_path,
                    error=message, model_class=hosted.model_class)
                continue
            seen[hosted.name] = spec
            self.models[hosted.name] = hosted

    def _load_one(self, spec: ModelSpec) -> HostedModel:
        name = spec.name
        hosted = HostedModel(name=name or spec.class_path, source=spec.source,
                             class_path=spec.class_path)
        started = time.perf_counter()
        try:
            cls = spec.entry_point.load() if spec.entry_point else import_class(spec.class_path)
            if not (isinstance(cls, type) and issubclass(cls, MLModel)):
                raise ModelContractError(f"{spec.class_path} is not a subclass of MLModel.")
            hosted.model_class = cls
            if not name and isinstance(getattr(cls, "qualified_name", None), str):
                name = cls.qualified_name
            hosted.name = name or spec.class_path
            cls.check_contract(name)
            hosted.input_validator = SchemaValidator.for_schema(cls.input_schema)
            hosted.output_validator = SchemaValidator.for_schema(cls.output_schema)
            hosted.batch_settings = self._batch_settings(cls, spec)
            hosted.model = cls(**spec.configuration)
            if hosted.batch_settings.enabled:
                settings = hosted.batch_settings
                hosted.batcher = MicroBatcher(
                    lambda items, hosted=hosted: prediction.run_micro_batch(hosted, items),
                    max_batch_size=settings.max_batch_size, max_wait_ms=settings.max_wait_ms)
            hosted.status, hosted.error = "ready", None
            log.info("Loaded model %s from %s", hosted.name, spec.source)
        except Exception as error:  # any failure of a model package is that model's alone
            hosted.status = "failed"
            hosted.error = str(error) or type(error).__name__
            log.error("Model %s failed to load: %s", hosted.name, hosted.error,
                      exc_info=not isinstance(error, (ModelContractError, ModelLoadError)))
        if not QUALIFIED_NAME_PATTERN.match(hosted.name):
            # The name must be usable in a URL even when the class is broken.
            hosted.status = "failed"
        hosted.load_seconds = time.perf_counter() - started
        return hosted

    def _batch_settings(self, cls: type, spec: ModelSpec) -> BatchSettings:
        """Micro-batch the models that vectorise, unless configured otherwise."""
        default_enabled = self.batching_mode != "off" and cls.overrides_predict_batch()
        try:
            return BatchSettings.from_mapping(spec.batching, default_enabled, self.batch_defaults)
        except ValueError as error:
            raise ModelLoadError(str(error)) from None

    # Queries used by the blueprints

    def all(self) -> list[HostedModel]:
        return list(self.models.values())

    def get(self, name: str) -> HostedModel:
        try:
            return self.models[name]
        except KeyError:
            raise ModelNotFound(f"No model named '{name}' is hosted here.") from None

    def get_ready(self, name: str) -> HostedModel:
        hosted = self.get(name)
        if not hosted.ready:
            raise ModelNotReady(f"Model '{name}' is not ready: {hosted.error}")
        return hosted

    @property
    def all_ready(self) -> bool:
        return all(hosted.ready for hosted in self.models.values())


def get_manager(app: Flask) -> ModelManager:
    return app.extensions[EXTENSION_KEY]
