"""Build the service's OpenAPI 3.1 document with apispec.

The document has two parts. Every route whose view carries OpenAPI YAML after ``---`` in its
docstring is documented from it (FlaskPlugin), with the API payloads as components converted from
their marshmallow schemas (MarshmallowPlugin). Then each *ready* model gets concrete operations,
``/api/models/<name>/predict`` and ``/predict_batch``, whose bodies are that model's own input and
output schemas: the very JSON Schemas the service validates with, so a client generated from the
document sends what the service accepts and reads what it answers.
"""
from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import yaml
from apispec import APISpec, yaml_utils
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec_webframeworks.flask import FlaskPlugin
from flask import Flask

from ..contract import QUALIFIED_NAME_PATTERN
from ..core.registry import HostedModel
from ..hosting import get_registry
from ..ops.auth import add_security_schemes
from .native.payloads import (
    ModelCollectionSchema,
    ModelMetadataSchema,
    ModelSummarySchema,
    ProblemSchema,
)
from .native.problems import PROBLEM_MIMETYPE, problem_body

log = logging.getLogger(__name__)

OPENAPI_VERSION = "3.1.0"
TITLE = "Model Service"
DESCRIPTION = """\
Hosts machine-learning models behind one validated JSON API.

Each hosted model has its own operations below, tagged with its name, whose request and response
bodies are the model's input and output schemas. The generic `/api/models/{name}/...` operations
accept any hosted model's name; their bodies are checked against that model's schema.

Errors are `application/problem+json` (RFC 9457); a 422 names every invalid field in `errors`
(for a batch, keyed by item index).
"""

# Methods Flask adds to every rule by itself; they are not documented operations.
_IMPLICIT_METHODS = {"HEAD", "OPTIONS"}

_ERROR_RESPONSES = {
    "BadRequest": (400, "The body is empty or is not valid JSON.",
                   "The request body is not valid JSON: unexpected character: line 1 column 2 "
                   "(char 1).", None),
    "NotFound": (404, "No model of that name is hosted here.",
                 "No model named 'nosuchmodel' is hosted here.", None),
    "TooLarge": (413, "The body, or the number of batch items, is over the server's limit.",
                 "Request body is larger than the limit of 10485760 bytes.", None),
    "UnsupportedMediaType": (415, "The body is not sent as `application/json`.",
                             "Content-Type must be application/json; got text/plain.",
                             {"Content-Type": ["Unsupported media type: text/plain."]}),
    "Unprocessable": (422, "Valid JSON that does not match the model's input schema; `errors` "
                      "names each field and why.",
                      "Input does not match the input schema of model 'iris_model'.",
                      {"petal_width": ["Missing data for required field."]}),
    "ModelFailure": (500, "The model failed, or broke its own output contract, on this request.",
                     "Model 'iris_model' failed to make a prediction; the error has been logged.",
                     None),
    "NotReady": (503, "The model failed to load and cannot serve, or it is busy past its "
                 "queue (then `Retry-After` says in how many seconds to retry).",
                 "Model 'iris_model' is not ready: cannot load artifact.", None),
    "Busy": (503, "Every slot of the model is taken and its queue is full; `Retry-After` says "
             "in how many seconds to retry.",
             "Model 'iris_model' is busy: 4 calls running and 64 requests waiting, its limit. "
             "Retry in 1 s.", None),
    "ModelTimeout": (504, "The model did not answer within its `timeout_s`.",
                     "Model 'iris_model' did not answer within its limit of 30 s (its call did "
                     "not finish).", None),
}

# Responses of the per-model prediction operations: a concrete path exists only for a model that
# loaded, so 404 cannot happen there, and a 503 only means busy.
_PREDICTION_ERRORS = {
    "400": "BadRequest",
    "413": "TooLarge",
    "415": "UnsupportedMediaType",
    "422": "Unprocessable",
    "500": "ModelFailure",
    "503": "Busy",
    "504": "ModelTimeout",
}


class OpenAPIError(Exception):
    """A view's OpenAPI docstring does not match its route."""


class _FlaskPlugin(FlaskPlugin):
    """FlaskPlugin that also lets literal paths (the per-model operations) through."""

    def path_helper(self, path=None, operations=None, parameters=None, *, view=None, app=None,
                    **kwargs):
        if view is None:
            return None
        return super().path_helper(path, operations, parameters, view=view, app=app, **kwargs)


def _ref(kind: str, name: str) -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def _new_spec(app: Flask) -> APISpec:
    spec = APISpec(
        title=TITLE,
        version=app.config.get("SERVICE_VERSION", "0"),
        openapi_version=OPENAPI_VERSION,
        plugins=[_FlaskPlugin(), MarshmallowPlugin()],
        info={"description": DESCRIPTION},
    )
    components = spec.components
    components.schema("ModelSummary", schema=ModelSummarySchema)
    components.schema("ModelCollection", schema=ModelCollectionSchema)
    components.schema("ModelMetadata", schema=ModelMetadataSchema)
    components.schema("Problem", schema=ProblemSchema)
    parameter = {
        "name": "name",
        "description": "The model's qualified name, as listed by `GET /api/models`.",
        "required": True,
        "schema": {"type": "string", "pattern": QUALIFIED_NAME_PATTERN.pattern},
    }
    ready = [hosted.name for hosted in get_registry(app).all() if hosted.ready]
    if ready:
        parameter["example"] = ready[0]
    components.parameter("ModelName", "path", parameter)
    for name, (status, description, detail, errors) in _ERROR_RESPONSES.items():
        components.response(name, {
            "description": description,
            "content": {PROBLEM_MIMETYPE: {
                "schema": _ref("schemas", "Problem"),
                "example": problem_body(status, detail, errors),
            }},
        })
    spec.tag({"name": "models", "description": "The hosted models and their schemas."})
    spec.tag({"name": "predictions",
              "description": "Predictions by any hosted model, named in the path."})
    return spec


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


def _model_schema(validator) -> dict:
    schema = dict(validator.json_schema)
    schema.pop("$schema", None)  # the document's dialect already is JSON Schema 2020-12
    return schema


def _unique(name: str, taken: set[str]) -> str:
    candidate, counter = name, 2
    while candidate in taken:
        candidate, counter = f"{name}{counter}", counter + 1
    taken.add(candidate)
    return candidate


def _add_model(spec: APISpec, hosted: HostedModel, taken: set[str]) -> None:
    """Add one model's tag, input/output schemas and concrete prediction operations."""
    base = _unique(_camel(hosted.name), taken)
    input_name, output_name = f"{base}Input", f"{base}Output"
    spec.components.schema(input_name, component=_model_schema(hosted.input_validator))
    spec.components.schema(output_name, component=_model_schema(hosted.output_validator))
    spec.tag({"name": hosted.name,
              "description": f"{hosted.display_name} {hosted.version}: {hosted.description}"})

    examples = hosted.examples
    errors = {status: _ref("responses", name) for status, name in _PREDICTION_ERRORS.items()}
    one_body: dict[str, Any] = {"schema": _ref("schemas", input_name)}
    batch_body: dict[str, Any] = {"schema": {"type": "array",
                                             "items": _ref("schemas", input_name)}}
    if examples:
        one_body["examples"] = {f"example{index + 1}": {"value": example}
                                for index, example in enumerate(examples)}
        batch_body["examples"] = {"batch": {"value": list(examples)}}

    prefix = f"/api/models/{hosted.name}"
    spec.path(path=f"{prefix}/predict", operations={"post": {
        "operationId": f"predict{base}",
        "summary": f"Make one prediction with {hosted.display_name}.",
        "description": hosted.description,
        "tags": [hosted.name],
        "requestBody": {"required": True, "content": {"application/json": one_body}},
        "responses": {
            "200": {"description": f"The output of {hosted.display_name}.",
                    "content": {"application/json": {"schema": _ref("schemas", output_name)}}},
            **errors,
        },
    }})
    spec.path(path=f"{prefix}/predict_batch", operations={"post": {
        "operationId": f"predictBatch{base}",
        "summary": f"Make a batch of predictions with {hosted.display_name}.",
        "description": f"{hosted.description} One output per input item, in the same order; "
                       "a batch with an invalid item is rejected whole (422, errors keyed by "
                       "item index).",
        "tags": [hosted.name],
        "requestBody": {"required": True, "content": {"application/json": batch_body}},
        "responses": {
            "200": {"description": "One output per input item, in the same order.",
                    "content": {"application/json": {"schema": {
                        "type": "array", "items": _ref("schemas", output_name)}}}},
            **errors,
        },
    }})


def create_spec(app: Flask) -> APISpec:
    """Build the ``APISpec`` of ``app``: its documented routes, then each ready model."""
    spec = _new_spec(app)
    with app.app_context():
        for view, rule in _documented_views(app):
            _check_methods(view, rule)
            spec.path(view=view, app=app)
        taken = {"ModelSummary", "ModelCollection", "ModelMetadata", "Problem"}
        for hosted in get_registry(app).all():
            if hosted.ready:
                _add_model(spec, hosted, taken)
    spec.tag({"name": "operations", "description": "Probes for load balancers and orchestrators."})
    spec.tag({"name": "documentation", "description": "This document."})
    return spec


def build_spec(app: Flask) -> dict:
    """Return the OpenAPI 3.1 document of ``app`` as a plain dict, in the customary key order."""
    document = add_security_schemes(create_spec(app).to_dict(), app)
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
