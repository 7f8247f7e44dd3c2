"""The hosted models of one service: load each spec once, keep its status, look models up.

A model that fails to load is kept as ``failed`` with the reason, so one broken package never
stops the others. A class written for ml_base (rest-model-service's contract) is instantiated
and hosted through ``ml_base_hosting``. Other parts subscribe to loading instead of being
imported here: an on-load hook (``add_load_hook``) is called with every ``HostedModel`` once it
is loaded or has failed; the pipeline attaches each model's runner (limits, micro-batching) that
way, and the metrics record each model.
"""
from __future__ import annotations

import importlib
import inspect
import logging
import sys
import time
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any, Callable

from ..contract import QUALIFIED_NAME_PATTERN, MLModel
from .batching import BatchSettings
from .errors import ModelContractError, ModelLoadError, ModelNotFound, ModelNotReady
from .limits import Limits
from .ml_base_hosting import host_class, is_ml_base_class
from .specs import ModelsFile, ModelSpec, read_models_file, specs_from_entry_points
from .validation import SchemaValidator, valid_examples

log = logging.getLogger(__name__)

LoadHook = Callable[["HostedModel"], None]
SLOW_INIT_SECONDS = 2.0  # an __init__ slower than this is logged as a warning


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
    limits: Limits = field(default_factory=Limits)
    examples: list = field(default_factory=list)  # the class's examples that are valid input
    views: dict = field(default_factory=dict)  # protocols' views of the model, built once
    exposed: bool = True  # False: loaded and counted by readiness, but served nowhere
    runner: Any = None  # a limits.ModelRunner, attached by an on-load hook; None: direct calls
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


class ModelRegistry:
    """Load and hold the models of one service (kept in ``app.extensions`` by the web app)."""

    def __init__(self, batch_defaults: BatchSettings | None = None,
                 batching_mode: str = "auto", limit_defaults: Limits | None = None) -> None:
        self.models: dict[str, HostedModel] = {}
        self.batch_defaults = batch_defaults or BatchSettings()
        self.limit_defaults = limit_defaults or Limits()
        self.batching_mode = batching_mode
        self._load_hooks: list[LoadHook] = []

    def add_load_hook(self, hook: LoadHook) -> None:
        """Call ``hook(hosted)`` for every model loaded from now on, ready or failed."""
        self._load_hooks.append(hook)

    def load_configured(self, models_file: str | None, discover: bool = True) -> None:
        """Load what the models file lists, then the installed packages' entry points.

        An entry of the models file wins over an entry point of the same name. Raises
        ``ConfigurationError`` for a models file the service cannot use.
        """
        configured: ModelsFile = read_models_file(models_file, self.batch_defaults,
                                                  self.limit_defaults)
        if configured.path is not None:
            _importable_beside(configured.path)
        specs = list(configured.specs)
        if discover and configured.discover_entry_points:
            names = {spec.name or self._class_name_hint(spec) for spec in specs}
            specs += [spec for spec in specs_from_entry_points() if spec.name not in names]
        self.load(specs)

    @staticmethod
    def _class_name_hint(spec: ModelSpec) -> str | None:
        try:
            name = getattr(import_class(spec.class_path), "qualified_name", None)
        except ModelLoadError:
            return None
        return name if isinstance(name, str) else None  # an ml_base property says nothing yet

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
                hosted = HostedModel(name=hosted.name, source=spec.source,
                                     class_path=spec.class_path, error=message,
                                     model_class=hosted.model_class)
                self.models[hosted.name] = hosted
            else:
                seen[hosted.name] = spec
                self.models[hosted.name] = hosted
            for hook in self._load_hooks:
                hook(hosted)

    def _load_one(self, spec: ModelSpec) -> HostedModel:
        name = spec.name
        hosted = HostedModel(name=name or spec.class_path, source=spec.source,
                             class_path=spec.class_path, exposed=spec.exposed,
                             limits=spec.limits or self.limit_defaults)
        started = time.perf_counter()
        try:
            if spec.model_class is not None:
                cls = spec.model_class
            elif spec.entry_point is not None:
                cls = spec.entry_point.load()
            else:
                cls = import_class(spec.class_path)
            configuration, init_seconds = spec.configuration, 0.0
            if is_ml_base_class(cls):  # an ml_base model exists only as an instance: make it now
                init_started = time.perf_counter()
                cls = host_class(cls, configuration, spec.decorators)
                configuration, init_seconds = {}, time.perf_counter() - init_started
            elif spec.decorators:
                raise ModelLoadError(f"{spec.class_path}: 'decorators' apply to ml_base models "
                                     "only (ml_base.MLModelDecorator classes).")
            if not (isinstance(cls, type) and issubclass(cls, MLModel)):
                raise ModelContractError(f"{spec.class_path} is not a subclass of MLModel.")
            hosted.model_class = cls
            _check_entry_point_name(spec, cls)
            if not name and isinstance(getattr(cls, "qualified_name", None), str):
                name = cls.qualified_name
            hosted.name = name or spec.class_path
            cls.check_contract(name)
            hosted.input_validator = SchemaValidator.for_schema(cls.input_schema)
            hosted.output_validator = SchemaValidator.for_schema(cls.output_schema)
            hosted.examples = valid_examples(hosted.name, cls, hosted.input_validator)
            hosted.batch_settings = (spec.batching or self.batch_defaults).decide(
                cls.overrides_predict_batch(), self.batching_mode)
            check_configuration(cls, configuration)
            init_started = time.perf_counter()
            hosted.model = cls(**configuration)
            init_seconds += time.perf_counter() - init_started
            hosted.status, hosted.error = "ready", None
            if init_seconds > SLOW_INIT_SECONDS:
                log.warning("Model %s took %.1f s in __init__; the service waits for it at every "
                            "start", hosted.name, init_seconds)
            log.info("Loaded model %s from %s in %.3f s", hosted.name, spec.source,
                     time.perf_counter() - started)
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

    # Queries

    def all(self) -> list[HostedModel]:
        """The models the service exposes (``create_endpoint: false`` ones are left out)."""
        return [hosted for hosted in self.models.values() if hosted.exposed]

    def get(self, name: str) -> HostedModel:
        hosted = self.models.get(name)
        if hosted is None or not hosted.exposed:
            raise ModelNotFound(name)
        return hosted

    def get_ready(self, name: str) -> HostedModel:
        hosted = self.get(name)
        if not hosted.ready:
            raise ModelNotReady(name, hosted.error)
        return hosted

    @property
    def all_ready(self) -> bool:
        """Tell whether every model is ready, the unexposed ones included (they may be used)."""
        return all(hosted.ready for hosted in self.models.values())


def check_configuration(cls: type, configuration: dict) -> None:
    """Refuse configuration keys that the model's ``__init__`` cannot take, naming the ones it can.

    A typo (``artefact:``) would otherwise reach ``__init__`` as an unexpected keyword, or, with
    ``**kwargs``, vanish; only an ``__init__`` that takes ``**kwargs`` accepts any key.
    """
    if not configuration:
        return
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    if any(parameter.kind is parameter.VAR_KEYWORD for parameter in parameters):
        return
    accepted = [parameter.name for parameter in parameters
                if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)]
    unknown = sorted(set(configuration) - set(accepted))
    if unknown:
        raise ModelLoadError(
            f"configuration key '{unknown[0]}' is not a parameter of "
            f"{cls.__module__}.{cls.__qualname__}.__init__ (it takes: "
            f"{', '.join(accepted) if accepted else 'no configuration'}).")


def _importable_beside(models_file: str) -> None:
    """Let the models file name modules that sit in its own folder (``my_model.MyModel``)."""
    folder = str(Path(models_file).resolve().parent)
    if folder not in sys.path:
        sys.path.append(folder)


def _check_entry_point_name(spec: ModelSpec, cls: type) -> None:
    """Refuse an entry point whose name is not its class's qualified name.

    The two name the same model; when they differ, one of them is a mistake, and letting the
    entry point's name win silently would publish a model under a name its author never chose.
    """
    if spec.entry_point is None:
        return
    qualified = getattr(cls, "qualified_name", None)
    if isinstance(qualified, str) and qualified != spec.entry_point.name:
        raise ModelLoadError(
            f"entry point '{spec.entry_point.name}' ({spec.source}) names "
            f"{spec.class_path}, whose qualified_name is '{qualified}'; an entry point's name "
            "must be its class's qualified_name.")
