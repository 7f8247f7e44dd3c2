"""The V2 protocol's part of the OpenAPI document: its bodies, its errors, per-model infer examples.

The generic ``/v2/...`` operations are documented by the docstrings of the views
(``endpoints.py``); this module adds the components they name (``V2InferenceRequest``,
``V2NotFound``, ...) and, for each ready model that can infer over V2, a concrete
``POST /v2/models/<name>/infer`` whose description names its tensors and whose examples are the
model's own examples as tensors. The schemas say what the server refuses and no more: the body
of an infer request is checked further against the model's tensors and its JSON Schema, which
one document for every model cannot express (a shape must agree with its data).
"""
from __future__ import annotations

import re
from typing import Any

from apispec import APISpec

from ...contract import QUALIFIED_NAME_PATTERN
from ...core.registry import HostedModel
from . import PREFIX
from .binary import BINARY_MIMETYPE, HEADER, JSON_MIMETYPE
from .codec import DATATYPES, MAX_DIMENSIONS, TensorMapping
from .endpoints import tensor_mapping

TAG = "v2"
TAG_DESCRIPTION = (
    "The Open Inference Protocol (KServe V2), the REST protocol of KServe, Triton and MLServer "
    "that their clients (tritonclient, the open-inference client) speak: every hosted model as "
    "named tensors, batch first, with the binary tensor extension. Errors are "
    '`{"error": "<message>"}` with the statuses of the native API; a schema violation is a 400 '
    "naming the row and the input.")


def _ref(kind: str, name: str) -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def _object(properties: dict, required: tuple = (), description: str | None = None) -> dict:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    if description:
        schema["description"] = description
    return schema


_PARAMETERS = {"type": ["object", "null"], "additionalProperties": True,
               "description": "Protocol parameters: a map of names to values."}
_DATATYPE = {"type": "string", "enum": list(DATATYPES)}
_SHAPE = {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 1,
          "maxItems": MAX_DIMENSIONS,
          "description": "Batch first: `[N]`, or `[N, 1]` (trailing ones), for N rows."}
_DATA = {"type": "array", "items": {"type": ["number", "string", "boolean", "null", "array"]},
         "description": "The elements, flat in row-major order or nested as the shape says. "
                        "Absent when the tensor travels as binary data."}

SCHEMAS: dict[str, dict] = {
    "V2Error": _object({"error": {"type": "string", "description": "What went wrong."}},
                       ("error",), "The V2 protocol's error body."),
    "V2ServerMetadata": _object({
        "name": {"type": "string"},
        "version": {"type": "string"},
        "extensions": {"type": "array", "items": {"type": "string"}},
    }, ("name", "version", "extensions")),
    "V2ServerLive": _object({"live": {"type": "boolean"}}, ("live",)),
    "V2ServerReady": _object({"ready": {"type": "boolean"}}, ("ready",)),
    "V2ModelReady": _object({"name": {"type": "string"}, "ready": {"type": "boolean"}},
                            ("name", "ready")),
    "V2MetadataTensor": _object({
        "name": {"type": "string"},
        "datatype": _DATATYPE,
        "shape": {"type": "array", "items": {"type": "integer", "minimum": -1},
                  "description": "`-1` is the batch dimension."},
        "parameters": {"type": "object", "description": "`content_type` of BYTES tensors: "
                       "`str` (UTF-8 text), `base64` (media), `pd_json` (JSON documents)."},
    }, ("name", "datatype", "shape")),
    "V2ModelMetadata": _object({
        "name": {"type": "string"},
        "versions": {"type": "array", "items": {"type": "string"}},
        "platform": {"type": "string"},
        "inputs": {"type": "array", "items": _ref("schemas", "V2MetadataTensor")},
        "outputs": {"type": "array", "items": _ref("schemas", "V2MetadataTensor")},
        "parameters": {
            "type": "object",
            "description": "`nested_outputs` (how nested output fields become tensors), "
                           "`non_tensor_inputs` (input fields no tensor can carry) and "
                           "`infer_unavailable` (why this model cannot infer over V2).",
            "additionalProperties": {"type": "string"},
        },
    }, ("name", "platform", "inputs", "outputs")),
    "V2RequestInput": _object({
        "name": {"type": "string"},
        "shape": _SHAPE,
        "datatype": _DATATYPE,
        "parameters": _PARAMETERS,
        "data": _DATA,
    }, ("name", "shape", "datatype"), "One input tensor: a top-level input field, one value "
       "per row."),
    "V2RequestOutput": _object({"name": {"type": "string"}, "parameters": _PARAMETERS},
                               ("name",), "An output to return (`binary_data: true` for raw "
                               "bytes)."),
    "V2InferenceRequest": _object({
        "id": {"type": ["string", "null"], "description": "Echoed in the response."},
        "parameters": _PARAMETERS,
        "inputs": {"type": "array", "minItems": 1, "items": _ref("schemas", "V2RequestInput")},
        "outputs": {"type": ["array", "null"], "items": _ref("schemas", "V2RequestOutput"),
                    "description": "The outputs to return, in this order; all when absent."},
    }, ("inputs",)),
    "V2BinaryBody": {
        "type": "string", "format": "binary",
        "description": f"The binary tensor extension: the JSON request, then each input's bytes "
                       f"in order; `{HEADER}` gives the JSON part's length.",
    },
    "V2ResponseOutput": _object({
        "name": {"type": "string"},
        "shape": {"type": "array", "items": {"type": "integer", "minimum": 0}},
        "datatype": _DATATYPE,
        "parameters": {"type": "object"},
        "data": _DATA,
    }, ("name", "shape", "datatype"), "One output tensor, one value per row (null where a "
       "row has none)."),
    "V2InferenceResponse": _object({
        "model_name": {"type": "string"},
        "model_version": {"type": "string"},
        "id": {"type": "string"},
        "parameters": {"type": "object"},
        "outputs": {"type": "array", "items": _ref("schemas", "V2ResponseOutput")},
    }, ("model_name", "outputs")),
}

# name -> (status, description, example message)
ERRORS = {
    "V2BadRequest": (400, "A malformed request, a wrong datatype, a shape that disagrees with "
                     "its data, a missing or unknown input, or rows that break the model's "
                     "input schema (the message names the row and the input).",
                     "1 of 1 batch items do not match the input schema of model 'iris_model'. "
                     "Row 0, input 'petal_width': Must be less than or equal to 20.0."),
    "V2NotFound": (404, "No model of that name, or not in that version.",
                   "No model named 'nosuchmodel' is hosted here."),
    "V2TooLarge": (413, "The body, or the number of rows, is over the server's limit.",
                   "Request body is larger than the limit of 10485760 bytes."),
    "V2UnsupportedMediaType": (415, "Neither JSON nor the binary tensor extension.",
                               "Content-Type must be application/json; got text/plain."),
    "V2ModelFailure": (500, "The model failed, or broke its own output contract.",
                       "Model 'iris_model' failed to make a prediction; the error has been "
                       "logged."),
    "V2NotReady": (503, "The model failed to load and cannot serve.",
                   "Model 'iris_model' is not ready: cannot load artifact."),
    "V2Busy": (503, "The model failed to load, or every slot of it is taken and its queue is "
               "full (retry after the seconds of the Retry-After header).",
               "Model 'iris_model' is busy: 4 calls running and 64 requests waiting, its "
               "limit. Retry in 1 s."),
    "V2ModelTimeout": (504, "The model did not answer within its time limit (timeout_s).",
                       "Model 'iris_model' did not answer within its limit of 30 s (its call "
                       "did not finish)."),
}


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def prepare(spec: APISpec, models: list[HostedModel]) -> None:
    """Add V2's body schemas, path parameters, responses and tag."""
    components = spec.components
    for name, schema in SCHEMAS.items():
        components.schema(name, component=schema)
    ready = [hosted for hosted in models if hosted.ready]
    name_parameter = {
        "name": "name", "required": True,
        "description": "The model's qualified name.",
        "schema": {"type": "string", "pattern": QUALIFIED_NAME_PATTERN.pattern},
    }
    version_parameter = {
        "name": "version", "required": True,
        "description": "The model's version; each model serves one.",
        "schema": {"type": "string", "minLength": 1},
    }
    if ready:
        name_parameter["example"] = ready[0].name
        version_parameter["example"] = ready[0].version
    components.parameter("V2ModelName", "path", name_parameter)
    components.parameter("V2ModelVersion", "path", version_parameter)
    components.parameter("V2HeaderLength", "header", {
        "name": HEADER, "required": False,
        "description": "With the binary tensor extension: the byte length of the JSON part.",
        "schema": {"type": "integer", "minimum": 0},
    })
    for name, (status, description, message) in ERRORS.items():
        components.response(name, {
            "description": description,
            "content": {JSON_MIMETYPE: {"schema": _ref("schemas", "V2Error"),
                                        "example": {"error": message}}},
        })
    components.response("V2InferenceResult", {
        "description": "One value per row in each output tensor. When the client asked for "
                       f"binary outputs, the body is the JSON response then the bytes of each "
                       f"such output, and `{HEADER}` gives the JSON part's length.",
        "headers": {HEADER: {"description": "The JSON part's length (binary responses only).",
                             "schema": {"type": "integer", "minimum": 0}}},
        "content": {JSON_MIMETYPE: {"schema": _ref("schemas", "V2InferenceResponse")},
                    BINARY_MIMETYPE: {"schema": _ref("schemas", "V2BinaryBody")}},
    })
    spec.tag({"name": TAG, "description": TAG_DESCRIPTION})


def add_models(spec: APISpec, models: list[HostedModel]) -> None:
    """Add a concrete infer operation for each ready model that V2 can serve."""
    taken: set[str] = set()
    for hosted in models:
        if hosted.ready:
            mapping = tensor_mapping(hosted)
            if mapping.unavailable is None:
                _add_model(spec, hosted, mapping, taken)


def example_request(mapping: TensorMapping, row: dict) -> dict | None:
    """One input row as a V2 request, or None when a field in it cannot be a tensor."""
    if any(name not in mapping.inputs for name in row):
        return None
    return {"inputs": [{"name": name, "datatype": mapping.inputs[name].datatype, "shape": [1],
                        "data": [row[name]]} for name in row]}


def _tensor_list(tensors: dict) -> str:
    return ", ".join(f"`{spec.name}` ({spec.datatype})" for spec in tensors.values())


def _add_model(spec: APISpec, hosted: HostedModel, mapping: TensorMapping,
               taken: set[str]) -> None:
    operation_id, counter = f"v2Infer{_camel(hosted.name)}", 2
    while operation_id in taken:
        operation_id, counter = f"v2Infer{_camel(hosted.name)}{counter}", counter + 1
    taken.add(operation_id)
    body: dict[str, Any] = {"schema": _ref("schemas", "V2InferenceRequest")}
    examples = [request for request in (example_request(mapping, row) for row in hosted.examples)
                if request is not None]
    if examples:
        body["examples"] = {f"example{index + 1}": {"value": example}
                            for index, example in enumerate(examples)}
    required = ", ".join(f"`{name}`" for name in mapping.required)
    description = (f"{hosted.description} Input tensors: {_tensor_list(mapping.inputs)}"
                   + (f" (required: {required})" if required else "")
                   + f". Output tensors: {_tensor_list(mapping.outputs)}.")
    spec.path(path=f"{PREFIX}/models/{hosted.name}/infer", operations={"post": {
        "operationId": operation_id,
        "summary": f"Run an inference request with {hosted.display_name} (V2).",
        "description": description,
        "tags": [hosted.name],
        "parameters": ["V2HeaderLength"],
        "requestBody": {"required": True, "content": {
            JSON_MIMETYPE: body, BINARY_MIMETYPE: {"schema": _ref("schemas", "V2BinaryBody")}}},
        "responses": {
            "200": _ref("responses", "V2InferenceResult"),
            **{str(status): _ref("responses", name)
               for name, (status, _, _) in ERRORS.items()
               if name not in ("V2NotFound", "V2NotReady")},  # a ready model, by its name
        },
    }})


def unauthorized_responses(document: dict) -> None:
    """Make the 401 responses added under ``/v2`` (API keys) V2 errors, not problems."""
    for path, operations in (document.get("paths") or {}).items():
        if not (path == PREFIX or path.startswith(PREFIX + "/")):
            continue
        for operation in operations.values():
            response = operation.get("responses", {}).get("401") if isinstance(operation,
                                                                              dict) else None
            if response is not None:
                response["content"] = {JSON_MIMETYPE: {"schema": _ref("schemas", "V2Error")}}
