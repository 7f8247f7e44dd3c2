"""The native API's endpoints: decode the request with the codec, call the pipeline, encode."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from ...core import pipeline
from ...core.validation import model_json_schemas
from ...hosting import get_registry
from ..connection import client_gone
from ..errors import register_error_handlers
from .codec import raw_output, read_json_body, read_predict_body
from .problems import problem_response

bp = Blueprint("api", __name__, url_prefix="/api")
register_error_handlers(bp, problem_response)


@bp.get("/models")
def list_models():
    """List every hosted model.
    ---
    get:
      operationId: listModels
      summary: List every hosted model and its status.
      tags: [models]
      responses:
        "200":
          description: Every hosted model, ready or failed.
          content:
            application/json:
              schema: ModelCollection
    """
    return jsonify(models=[hosted.summary() for hosted in get_registry(current_app).all()])


@bp.get("/models/<name>/metadata")
def model_metadata(name: str):
    """Describe one model, with its input and output JSON Schemas.
    ---
    get:
      operationId: getModelMetadata
      summary: Describe one model, with its input and output JSON Schemas.
      tags: [models]
      parameters:
        - ModelName
      responses:
        "200":
          description: The model's summary plus its JSON Schemas (2020-12).
          content:
            application/json:
              schema: ModelMetadata
        "404": NotFound
        "503": NotReady
    """
    hosted = get_registry(current_app).get_ready(name)
    input_schema, output_schema = model_json_schemas(hosted.name, hosted.model_class)
    return jsonify(**hosted.summary(), input_schema=input_schema, output_schema=output_schema)


@bp.post("/models/<name>/predict")
def predict(name: str):
    """Make one prediction.
    ---
    post:
      operationId: predict
      summary: Make one prediction with the named model.
      description: >-
        The body must match the model's input schema (see its metadata, or its own operation
        in this document); the answer matches its output schema.
      tags: [predictions]
      parameters:
        - ModelName
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              description: One input object, as the model's input schema describes it.
      responses:
        "200":
          description: The model's output, matching its output schema.
          content:
            application/json:
              schema:
                type: object
        "400": BadRequest
        "404": NotFound
        "413": TooLarge
        "415": UnsupportedMediaType
        "422": Unprocessable
        "500": ModelFailure
        "503": NotReady
        "504": ModelTimeout
    """
    hosted = get_registry(current_app).get_ready(name)
    with pipeline.incoming(hosted):
        raw = read_predict_body(request, hosted.input_validator)
        data = pipeline.validate_one(hosted, raw)
        result = pipeline.run_predict(hosted, data, client_gone(request.environ))
    answer = raw_output(request, hosted.output_validator, result)
    if answer is not None:
        response = Response(answer[0], mimetype=answer[1])
    else:
        response = jsonify(result)
    if hosted.output_validator.raw_output_field is not None:
        response.vary.add("Accept")
    return response


@bp.post("/models/<name>/predict_batch")
def predict_batch(name: str):
    """Make a batch of predictions.
    ---
    post:
      operationId: predictBatch
      summary: Make a batch of predictions with the named model.
      description: >-
        One output per input item, in the same order. A batch with an invalid item is rejected
        whole (422, errors keyed by item index). When the model's batch call fails, each item is
        retried alone; if some still fail, the answer is a 500 whose errors name them by index.
      tags: [predictions]
      parameters:
        - ModelName
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: array
              items:
                type: object
      responses:
        "200":
          description: One output per input item, in the same order.
          content:
            application/json:
              schema:
                type: array
                items:
                  type: object
        "400": BadRequest
        "404": NotFound
        "413": TooLarge
        "415": UnsupportedMediaType
        "422": Unprocessable
        "500": ModelFailure
        "503": NotReady
        "504": ModelTimeout
    """
    hosted = get_registry(current_app).get_ready(name)
    raw = read_json_body(request)
    items = pipeline.validate_batch(hosted, raw, current_app.config["MAX_BATCH_SIZE"])
    return jsonify(pipeline.run_predict_batch(hosted, items, client_gone(request.environ)))
