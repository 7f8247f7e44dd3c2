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
    "NotReady": (503, "The model failed to load and cannot serve.",
                 "Model 'iris_model' is not ready: cannot load artifact.", None),
}

# Responses of the per-model prediction operations: a concrete path exists only for a model that
# loaded, so neither 404 nor 503 can happen there.
_PREDICTION_ERRORS = {
    "400": "BadRequest",
    "413": "TooLarge",
    "415": "UnsupportedMediaType",
    "422": "Unprocessable",
    "500": "ModelFailure",
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
