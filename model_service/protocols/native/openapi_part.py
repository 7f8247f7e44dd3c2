"""The native API's part of the OpenAPI document: its payloads, errors and per-model operations.

Each ready model gets concrete operations, ``/api/models/<name>/predict`` and
``/predict_batch``, whose bodies are that model's own input and output schemas: the very JSON
Schemas the service validates with, so a client generated from the document sends what the
service accepts and reads what it answers.
"""
from __future__ import annotations

import re
from typing import Any

from apispec import APISpec

from ...contract import QUALIFIED_NAME_PATTERN
from ...core.registry import HostedModel
from . import openapi_media
from .codec import JSON, MULTIPART
from .payloads import ModelCollectionSchema, ModelMetadataSchema, ModelSummarySchema, ProblemSchema
from .problems import PROBLEM_MIMETYPE, problem_body

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

COMPONENT_NAMES = {"ModelSummary", "ModelCollection", "ModelMetadata", "Problem"}


def _ref(kind: str, name: str) -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def prepare(spec: APISpec, models: list[HostedModel]) -> None:
    """Add the API's payload schemas, its path parameter, its error responses and its tags."""
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
    ready = [hosted.name for hosted in models if hosted.ready]
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


def add_models(spec: APISpec, models: list[HostedModel]) -> None:
    """Add each ready model's tag, schemas and concrete prediction operations."""
    taken = set(COMPONENT_NAMES)
    for hosted in models:
        if hosted.ready:
            _add_model(spec, hosted, taken)


def _model_schema(validator) -> dict:
    schema = dict(validator.json_schema)
    schema.pop("$schema", None)  # the document's dialect already is JSON Schema 2020-12
    return schema


def _add_schema(spec: APISpec, name: str, validator, taken: set[str]) -> None:
    """Add a model's schema as component ``name``, its ``$defs`` as components of their own.

    A published schema is self-contained; only a recursive one (a pydantic model that contains
    itself) keeps ``$defs`` with ``#/$defs/...`` references, which would point at the document's
    root here: each definition becomes the component ``<name>_<definition>`` and every reference
    is rewritten to it.
    """
    schema = _model_schema(validator)
    definitions = schema.pop("$defs", None) or {}
    renamed = {key: _unique(f"{name}_{re.sub(r'[^A-Za-z0-9._-]', '_', key)}", taken)
               for key in definitions}
    refs = {"#/$defs/" + key.replace("~", "~0").replace("/", "~1"): _ref("schemas", new)["$ref"]
            for key, new in renamed.items()}
    spec.components.schema(name, component=_rewrite_refs(schema, refs))
    for key, definition in definitions.items():
        spec.components.schema(renamed[key], component=_rewrite_refs(definition, refs))


def _rewrite_refs(node: Any, refs: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {key: refs.get(value, value) if key == "$ref" and isinstance(value, str)
                else _rewrite_refs(value, refs) for key, value in node.items()}
    if isinstance(node, list):
        return [_rewrite_refs(value, refs) for value in node]
    return node


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
    _add_schema(spec, input_name, hosted.input_validator, taken)
    _add_schema(spec, output_name, hosted.output_validator, taken)
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

    one_content: dict[str, Any] = {JSON: one_body}
    answers: dict[str, Any] = {JSON: {"schema": _ref("schemas", output_name)}}
    description = hosted.description
    one_errors = dict(errors)
    if openapi_media.has_media(hosted):
        inputs, outputs = hosted.input_validator, hosted.output_validator
        if inputs.media_fields:
            multipart_name = _unique(f"{base}Multipart", taken)
            spec.components.schema(multipart_name,
                                   component=openapi_media.multipart_schema(inputs))
            one_content[MULTIPART] = openapi_media.multipart_content(
                inputs, _ref("schemas", multipart_name))
            one_content.update(openapi_media.raw_body_content(inputs))
            one_errors["415"] = openapi_media.unsupported_media_type(inputs)
            description += "\n\n" + openapi_media.request_body_note(inputs)
        answers.update(openapi_media.raw_answer_content(outputs))
        description += openapi_media.answer_note(outputs)
        not_acceptable = openapi_media.not_acceptable(outputs)
        if not_acceptable:
            one_errors["406"] = not_acceptable
        one_errors = dict(sorted(one_errors.items()))

    prefix = f"/api/models/{hosted.name}"
    spec.path(path=f"{prefix}/predict", operations={"post": {
        "operationId": f"predict{base}",
        "summary": f"Make one prediction with {hosted.display_name}.",
        "description": description,
        "tags": [hosted.name],
        "requestBody": {"required": True, "content": one_content},
        "responses": {
            "200": {"description": f"The output of {hosted.display_name}.", "content": answers},
            **one_errors,
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
