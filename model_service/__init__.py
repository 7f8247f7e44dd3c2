"""Model Service: host any ``MLModel`` behind a documented, validated web service.

``MLModel`` is the contract a model package implements; importing it loads marshmallow and the
standard library, not the web stack. ``create_app`` (the Flask application factory) and
``get_registry`` are loaded on first use.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .contract import MLModel

__all__ = ["MLModel", "create_app", "get_registry", "__version__"]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from .app import create_app, get_registry

_LAZY = {"create_app", "get_registry"}


def __getattr__(name: str) -> Any:
    """Import the web application only when something asks for it (PEP 562)."""
    if name in _LAZY:
        from . import app

        return getattr(app, name)
    raise AttributeError(f"module 'model_service' has no attribute {name!r}")
