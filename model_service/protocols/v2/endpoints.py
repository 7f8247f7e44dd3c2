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
from ..errors import register_error_handlers
from .binary import BINARY_MIMETYPE, HEADER, JSON_MIMETYPE, read_request, write_response
from .codec import PLATFORM, CodecError, TensorMapping
from .errors import error_response

bp = Blueprint("v2", __name__, url_prefix="/v2")
register_error_handlers(bp, error_response)

EXTENSIONS = ["binary_tensor_data"]
_MODEL_RULES = ("/models/<name>", "/models/<name>/versions/<version>")


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
    """Describe the server: name, version and protocol extensions."""
    return {"name": PLATFORM, "version": __version__, "extensions": EXTENSIONS}


@bp.get("/health/live")
def server_live():
    """Report that the server is alive."""
    return {"live": True}


@bp.get("/health/ready")
def server_ready():
    """Report whether every model is ready (200) or not (503)."""
    ready = get_registry(current_app).all_ready and not current_app.config.get("SHUTTING_DOWN")
    return {"ready": ready}, 200 if ready else 503


def model_metadata(name: str, version: str | None = None):
    """Describe a model's input and output tensors."""
    hosted = _hosted(name, version)
    return tensor_mapping(hosted).metadata(hosted.name, [hosted.version])


def model_ready(name: str, version: str | None = None):
    """Report whether one model is ready (200) or not (503)."""
    hosted = _hosted(name, version, ready=False)
    return {"name": hosted.name, "ready": hosted.ready}, 200 if hosted.ready else 503


def infer(name: str, version: str | None = None):
    """Run an inference request: N rows in, N rows out, as tensors."""
    hosted = _hosted(name, version)
    header_length = request.headers.get(HEADER)
    _check_content_type(header_length)
    limit = current_app.config["MAX_BATCH_SIZE"]
    with pipeline.incoming(hosted):
        body, binary = read_request(request.get_data(cache=False), header_length)
        mapping = tensor_mapping(hosted)
        decoded = mapping.decode(body, max_rows=limit, binary=binary)
        items = pipeline.validate_batch(hosted, decoded.rows, limit)
        results = ([pipeline.run_predict(hosted, items[0])] if len(items) == 1
                   else pipeline.run_predict_batch(hosted, items))
    payload, length = write_response(
        mapping.encode(decoded, results, hosted.name, hosted.version), decoded.binary_outputs)
    response = Response(payload, mimetype=JSON_MIMETYPE if length is None else BINARY_MIMETYPE)
    if length is not None:
        response.headers[HEADER] = str(length)
    return response


def _check_content_type(header_length: str | None) -> None:
    """Take JSON, or no declared type (tritonclient sends none); any type with binary tensors."""
    if request.headers.get("Content-Encoding"):
        raise CodecError("Content-Encoding is not supported; send the body uncompressed.", 415)
    mimetype = request.mimetype
    if header_length is None and mimetype and mimetype != JSON_MIMETYPE:
        raise CodecError(f"Content-Type must be {JSON_MIMETYPE}; got {mimetype}.", 415)


for _rule in _MODEL_RULES:
    bp.add_url_rule(_rule, view_func=model_metadata, methods=["GET"])
    bp.add_url_rule(_rule + "/ready", view_func=model_ready, methods=["GET"])
    bp.add_url_rule(_rule + "/infer", view_func=infer, methods=["POST"])
