"""The model registry as a Flask extension: built and loaded once per application.

The registry itself (``core/registry.py``) knows nothing of Flask; this module keeps one in
``app.extensions`` and subscribes the model runners (limits, micro-batching) to it before the
models load.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

if TYPE_CHECKING:
    from flask import Flask

from .core import pipeline
from .core.batching import BatchSettings
from .core.limits import Limits
from .core.registry import ModelRegistry
from .core.specs import ModelSpec

EXTENSION_KEY = "model_registry"


def registry_from_config(config: Mapping) -> ModelRegistry:
    """A registry set up (not yet loaded) from an application's configuration mapping."""
    registry = ModelRegistry(
        BatchSettings(max_batch_size=config["MICRO_BATCH_MAX_SIZE"],
                      max_wait_ms=float(config["MICRO_BATCH_MAX_WAIT_MS"])),
        batching_mode=str(config["MICRO_BATCHING"]).lower(),
        limit_defaults=Limits(timeout_s=float(config["MODEL_TIMEOUT_S"]),
                              max_concurrency=config["MODEL_MAX_CONCURRENCY"],
                              max_queue=config["MODEL_MAX_QUEUE"]))
    registry.add_load_hook(pipeline.attach_runner)
    return registry


def init_app(app: Flask) -> ModelRegistry:
    """Create the application's registry and keep it in ``app.extensions`` (models load later)."""
    registry = registry_from_config(app.config)
    app.extensions[EXTENSION_KEY] = registry
    return registry


def load_models(app: Flask) -> None:
    """Load the configured models into the application's registry, once."""
    load_configured(get_registry(app), app.config)


def load_configured(registry: ModelRegistry, config: Mapping) -> None:
    """Load the models named by a configuration mapping (its models file, entry-point discovery).

    ``MODEL_CLASSES``, a list of ``(class, configuration)`` pairs, hosts exactly those classes
    instead (``model_service.testing`` serves a package's own class that way).
    """
    classes = config.get("MODEL_CLASSES")
    if classes is not None:
        registry.load([ModelSpec(name=None, class_path=f"{cls.__module__}.{cls.__qualname__}",
                                 configuration=dict(configuration), source="test",
                                 model_class=cls) for cls, configuration in classes])
        return
    registry.load_configured(config.get("MODEL_SERVICE_CONFIG"),
                             bool(config.get("DISCOVER_ENTRY_POINTS", True)))


def get_registry(app: Flask) -> ModelRegistry:
    """The registry of ``app``."""
    return app.extensions[EXTENSION_KEY]
