"""Build the service's OpenAPI 3.1 document with apispec, from the parts each protocol adds.

Each protocol registers an ``OpenAPIPart`` (``add_part``): its components and tags, then its
per-model operations (``native/openapi_part.py``: each ready model's own predict operations).
Between the two, every route whose view carries OpenAPI YAML after ``---`` in its docstring is
documented from it (FlaskPlugin), its payloads converted from marshmallow (MarshmallowPlugin).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import yaml
from apispec import APISpec, yaml_utils
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec_webframeworks.flask import FlaskPlugin
from flask import Flask

from ..hosting import get_registry
from ..ops.auth import add_security_schemes

log = logging.getLogger(__name__)

PARTS_KEY = "openapi_parts"
OPENAPI_VERSION = "3.1.0"
TITLE = "Model Service"
DESCRIPTION = """\
Hosts machine-learning models behind one validated JSON API.

Each hosted model has its own operations below, tagged with its name, whose request and response
bodies are the model's input and output schemas. The generic `/api/models/{name}/...` operations
accept any hosted model's name; their bodies are checked against that model's schema.

Errors are `application/problem+json` (RFC 9457); a 422 names every invalid field in `errors`
(for a batch, keyed by item index). Under `/v2` (the Open Inference Protocol) they are that
protocol's own `{"error": "<message>"}`.
"""

# Methods Flask adds to every rule by itself; they are not documented operations.
_IMPLICIT_METHODS = {"HEAD", "OPTIONS"}

class OpenAPIError(Exception):
    """A view's OpenAPI docstring does not match its route."""


class _FlaskPlugin(FlaskPlugin):
    """FlaskPlugin that also lets literal paths (the per-model operations) through."""

    def path_helper(self, path=None, operations=None, parameters=None, *, view=None, app=None,
                    **kwargs):
        if view is None:
            return None
        return super().path_helper(path, operations, parameters, view=view, app=app, **kwargs)


def _new_spec(app: Flask) -> APISpec:
    return APISpec(
        title=TITLE,
        version=app.config.get("SERVICE_VERSION", "0"),
        openapi_version=OPENAPI_VERSION,
        plugins=[_FlaskPlugin(), MarshmallowPlugin()],
        info={"description": DESCRIPTION},
    )


@dataclass(frozen=True)
class OpenAPIPart:
    """What one protocol contributes: components and tags first, then per-model operations.

    ``finish``, when given, edits the finished document (security schemes added) in place.
    """

    prepare: Callable[[APISpec, list], None]
    add_models: Callable[[APISpec, list], None]
    finish: Callable[[dict], None] | None = None


def add_part(app: Flask, part: OpenAPIPart) -> None:
    """Let a protocol contribute to the application's document (called by its ``init_app``)."""
    app.extensions.setdefault(PARTS_KEY, []).append(part)


def _documented_views(app: Flask):
    """Yield ``(view, rule)`` for every endpoint whose view has OpenAPI YAML in its docstring."""
    first_rule: dict = {}
    for rule in app.url_map.iter_rules():
        first_rule.setdefault(rule.endpoint, rule)
    for endpoint, view in app.view_functions.items():
        if endpoint in first_rule and "---" in (view.__doc__ or ""):
            yield view, first_rule[endpoint]


def _check_methods(view, rule) -> None:
    """Refuse a docstring that documents a method its route does not accept, or misses one."""
    documented = {key.upper() for key in yaml_utils.load_operations_from_docstring(view.__doc__)
                  if not key.startswith("x-")}
    served = set(rule.methods or ()) - _IMPLICIT_METHODS
    if documented != served:
        raise OpenAPIError(
            f"{view.__module__}.{view.__name__} serves {sorted(served)} on {rule.rule} "
            f"but its docstring documents {sorted(documented)}."
        )


def create_spec(app: Flask) -> APISpec:
    """Build the ``APISpec`` of ``app``: the protocols' parts, its documented routes, each model."""
    spec = _new_spec(app)
    parts = app.extensions.get(PARTS_KEY, [])
    models = get_registry(app).all()
    for part in parts:
        part.prepare(spec, models)
    with app.app_context():
        for view, rule in _documented_views(app):
            _check_methods(view, rule)
            spec.path(view=view, app=app)
        for part in parts:
            part.add_models(spec, models)
    spec.tag({"name": "operations", "description": "Probes for load balancers and orchestrators."})
    spec.tag({"name": "documentation", "description": "This document."})
    return spec


def build_spec(app: Flask) -> dict:
    """Return the OpenAPI 3.1 document of ``app`` as a plain dict, in the customary key order."""
    document = add_security_schemes(create_spec(app).to_dict(), app)
    for part in app.extensions.get(PARTS_KEY, []):
        if part.finish is not None:
            part.finish(document)
    order = ["openapi", "info", "tags", "paths", "components"]
    return {key: document[key] for key in sorted(document, key=lambda k: (
        order.index(k) if k in order else len(order), k))}


class _Dumper(yaml.SafeDumper):
    """A safe YAML dumper that writes multi-line strings as literal blocks."""


def _represent_str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def to_yaml(document: dict) -> str:
    """Serialise a document as YAML, keys in document order (stable, diff-friendly)."""
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def write_openapi_yaml(path: str | Path, app: Flask) -> Path:
    """Write the OpenAPI document of ``app`` to ``path``."""
    path = Path(path)
    path.write_text(to_yaml(build_spec(app)), encoding="utf-8")
    return path
