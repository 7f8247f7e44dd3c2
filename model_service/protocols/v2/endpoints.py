"""The Open Inference Protocol (V2) over HTTP: decode tensors, run the pipeline, encode tensors.

The same registry, validation (the published JSON Schema), micro-batching, output checks and
metrics as the native API: only the codec differs (``codec.py``, ``binary.py``).
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from ... import __version__
from ...core import pipeline
from ...core.errors import ModelVersionNotFound
from ...core.registry import HostedModel
from ...core.validation import model_json_schemas
from ...hosting import get_registry
from ..connection import client_gone
from ..errors import register_error_handlers
from ..reading import read_body
from .binary import BINARY_MIMETYPE, HEADER, JSON_MIMETYPE, read_request, write_response
from .codec import PLATFORM, CodecError, TensorMapping
from .errors import error_response

bp = Blueprint("v2", __name__, url_prefix="/v2")
register_error_handlers(bp, error_response)

EXTENSIONS = ["binary_tensor_data"]


def tensor_mapping(hosted: HostedModel) -> TensorMapping:
    """The V2 view of a model, built once from its published schemas and kept with it."""
    mapping = hosted.views.get("v2")
    if mapping is None:
        mapping = hosted.views["v2"] = TensorMapping(*model_json_schemas(hosted.name,
                                                                         hosted.model_class))
    return mapping


def _hosted(name: str, version: str | None, ready: bool = True) -> HostedModel:
    registry = get_registry(current_app)
    hosted = registry.get_ready(name) if ready else registry.get(name)
    if version is not None and version != hosted.version:
        raise ModelVersionNotFound(name, version, hosted.version)
    return hosted


@bp.get("")
def server_metadata():
    """Describe the server: name, version and protocol extensions.
    ---
    get:
      operationId: v2ServerMetadata
      summary: Describe the server, its version and its protocol extensions.
      tags: [v2]
      responses:
        "200":
          description: The server's name, version and extensions.
          content:
            application/json:
              schema: V2ServerMetadata
    """
    return {"name": PLATFORM, "version": __version__, "extensions": EXTENSIONS}


@bp.get("/health/live")
def server_live():
    """Report that the server is alive.
    ---
    get:
      operationId: v2ServerLive
      summary: Liveness; 200 while the process can answer.
      tags: [v2]
      responses:
        "200":
          description: Alive.
          content:
            application/json:
              schema: V2ServerLive
    """
    return {"live": True}


@bp.get("/health/ready")
def server_ready():
    """Report whether every model is ready (200) or not (503).
    ---
    get:
      operationId: v2ServerReady
      summary: Readiness; 200 only when every hosted model is ready.
      tags: [v2]
      responses:
        "200":
          description: Every model is ready.
          content:
            application/json:
              schema: V2ServerReady
        "503":
          description: At least one model is not ready, or the server is shutting down.
          content:
            application/json:
              schema: V2ServerReady
    """
    ready = get_registry(current_app).all_ready and not current_app.config.get("SHUTTING_DOWN")
    return {"ready": ready}, 200 if ready else 503


@bp.get("/models/<name>")
def model_metadata(name: str, version: str | None = None):
    """Describe a model's input and output tensors.
    ---
    get:
      operationId: v2ModelMetadata
      summary: Describe a model's input and output tensors.
      tags: [v2]
      parameters:
        - V2ModelName
      responses:
        "200":
          description: The model's tensors; see `parameters` for the mapping's notes.
          content:
            application/json:
              schema: V2ModelMetadata
        "404": V2NotFound
        "503": V2NotReady
    """
    hosted = _hosted(name, version)
    return tensor_mapping(hosted).metadata(hosted.name, [hosted.version])


@bp.get("/models/<name>/versions/<version>")
def model_version_metadata(name: str, version: str):
    """Describe a model's tensors, in the version named (the one it serves).
    ---
    get:
      operationId: v2ModelVersionMetadata
      summary: Describe a model's input and output tensors, in the version named.
      tags: [v2]
      parameters:
        - V2ModelName
        - V2ModelVersion
      responses:
        "200":
          description: The model's tensors; see `parameters` for the mapping's notes.
          content:
            application/json:
              schema: V2ModelMetadata
        "404": V2NotFound
        "503": V2NotReady
    """
    return model_metadata(name, version)


@bp.get("/models/<name>/ready")
def model_ready(name: str, version: str | None = None):
    """Report whether one model is ready (200) or not (503).
    ---
    get:
      operationId: v2ModelReady
      summary: Readiness of one model.
      tags: [v2]
      parameters:
        - V2ModelName
      responses:
        "200":
          description: The model is ready.
          content:
            application/json:
              schema: V2ModelReady
        "404": V2NotFound
        "503":
          description: The model failed to load.
          content:
            application/json:
              schema: V2ModelReady
    """
    hosted = _hosted(name, version, ready=False)
    return {"name": hosted.name, "ready": hosted.ready}, 200 if hosted.ready else 503


@bp.get("/models/<name>/versions/<version>/ready")
def model_version_ready(name: str, version: str):
    """Report whether one model, in the version named, is ready (200) or not (503).
    ---
    get:
      operationId: v2ModelVersionReady
      summary: Readiness of one model, in the version named.
      tags: [v2]
      parameters:
        - V2ModelName
        - V2ModelVersion
      responses:
        "200":
          description: The model is ready.
          content:
            application/json:
              schema: V2ModelReady
        "404": V2NotFound
        "503":
          description: The model failed to load.
          content:
            application/json:
              schema: V2ModelReady
    """
    return model_ready(name, version)


@bp.post("/models/<name>/infer")
def infer(name: str, version: str | None = None):
    """Run an inference request: N rows in, N rows out, as tensors.
    ---
    post:
      operationId: v2Infer
      summary: Run an inference request with the named model.
      description: >-
        Each input tensor is one top-level input field, batch first; N rows in, N rows out.
        The rows are checked against the model's input schema (a 400 names the row and the
        input of each problem). See the model's V2 metadata for its tensors.
      tags: [v2]
      parameters:
        - V2ModelName
        - V2HeaderLength
      requestBody:
        required: true
        content:
          application/json:
            schema: V2InferenceRequest
          application/octet-stream:
            schema: V2BinaryBody
      responses:
        "200": V2InferenceResult
        "400": V2BadRequest
        "404": V2NotFound
        "413": V2TooLarge
        "415": V2UnsupportedMediaType
        "500": V2ModelFailure
        "503": V2Busy
        "504": V2ModelTimeout
    """
    hosted = _hosted(name, version)
    header_length = request.headers.get(HEADER)
    _check_content_type(header_length)
    limit = current_app.config["MAX_BATCH_SIZE"]
    with pipeline.incoming(hosted):
        raw = read_body(request.environ, current_app.config["MAX_CONTENT_LENGTH"])
        body, binary = read_request(raw, header_length)
        mapping = tensor_mapping(hosted)
        decoded = mapping.decode(body, max_rows=limit, binary=binary)
        items = pipeline.validate_batch(hosted, decoded.rows, limit)
        gone = client_gone(request.environ)
        results = ([pipeline.run_predict(hosted, items[0], gone)] if len(items) == 1
                   else pipeline.run_predict_batch(hosted, items, gone))
    payload, length = write_response(
        mapping.encode(decoded, results, hosted.name, hosted.version), decoded.binary_outputs)
    response = Response(payload, mimetype=JSON_MIMETYPE if length is None else BINARY_MIMETYPE)
    if length is not None:
        response.headers[HEADER] = str(length)
    return response


@bp.post("/models/<name>/versions/<version>/infer")
def model_version_infer(name: str, version: str):
    """Run an inference request with the model in the version named.
    ---
    post:
      operationId: v2ModelVersionInfer
      summary: Run an inference request with the named model, in the version named.
      description: >-
        The same as `POST /v2/models/{name}/infer`, once the version is checked.
      tags: [v2]
      parameters:
        - V2ModelName
        - V2ModelVersion
        - V2HeaderLength
      requestBody:
        required: true
        content:
          application/json:
            schema: V2InferenceRequest
          application/octet-stream:
            schema: V2BinaryBody
      responses:
        "200": V2InferenceResult
        "400": V2BadRequest
        "404": V2NotFound
        "413": V2TooLarge
        "415": V2UnsupportedMediaType
        "500": V2ModelFailure
        "503": V2Busy
        "504": V2ModelTimeout
    """
    return infer(name, version)


def _check_content_type(header_length: str | None) -> None:
    """Take JSON, or no declared type (tritonclient sends none); any type with binary tensors."""
    if request.headers.get("Content-Encoding"):
        raise CodecError("Content-Encoding is not supported; send the body uncompressed.", 415)
    mimetype = request.mimetype
    if header_length is None and mimetype and mimetype != JSON_MIMETYPE:
        raise CodecError(f"Content-Type must be {JSON_MIMETYPE} (or any, with binary tensors "
                         f"and the {HEADER} header); got {mimetype}.", 415)

