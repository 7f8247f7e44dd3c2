"""The JSON API blueprint: thin translations of HTTP into calls on the model manager."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from . import prediction
from .jsonio import read_json_body
from .manager import get_manager
from .schemas import model_json_schemas

bp = Blueprint("api", __name__, url_prefix="/api")


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
              schema: ModelCollectionSchema
    """
    manager = get_manager(current_app)
    return jsonify(models=[hosted.summary() for hosted in manager.all()])


@bp.get("/models/<name>/metadata")
def model_metadata(name: str):
    """Describe one model, with its input and output JSON Schemas.
    ---
    get:
      operationId: getModelMetadata
      summary: Describe one model, with its input and output JSON Schemas.
      tags: [models]
      parameters:
        - $ref: "#/components/parameters/ModelName"
      responses:
        "200":
          description: The model's summary plus its JSON Schemas (2020-12).
          content:
            application/json:
              schema: ModelMetadataSchema
        "404":
          $ref: "#/components/responses/NotFound"
        "503":
          $ref: "#/components/responses/NotReady"
    """
    hosted = get_manager(current_app).get_ready(name)
    input_schema, output_schema = model_json_schemas(hosted.name, hosted.model_class)
    return jsonify(**hosted.summary(), input_schema=input_schema, output_schema=output_schema)


@bp.post("/models/<name>/predict")
def predict(name: str):
    """Make one prediction.
    ---
    post:
      operationId: predict
      summary: Make one prediction; the body must match the model's input schema.
      tags: [predictions]
      parameters:
        - $ref: "#/components/parameters/ModelName"
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              description: One input object; see the model's metadata for its schema.
      responses:
        "200":
          description: The model's output, matching its output schema.
          content:
            application/json:
              schema:
                type: object
        "400": {$ref: "#/components/responses/BadRequest"}
        "404": {$ref: "#/components/responses/NotFound"}
        "413": {$ref: "#/components/responses/TooLarge"}
        "415": {$ref: "#/components/responses/UnsupportedMediaType"}
        "422": {$ref: "#/components/responses/Unprocessable"}
        "500": {$ref: "#/components/responses/ModelFailure"}
        "503": {$ref: "#/components/responses/NotReady"}
    """
    hosted = get_manager(current_app).get_ready(name)
    with prediction.incoming(hosted):
        raw = read_json_body(request)
        data = prediction.validate_one(hosted, raw)
        result = prediction.run_predict(hosted, data)
    return jsonify(result)


@bp.post("/models/<name>/predict_batch")
def predict_batch(name: str):
    """Make a batch of predictions.
    ---
    post:
      operationId: predictBatch
      summary: Make one prediction per item of a JSON array, in the same order.
      tags: [predictions]
      parameters:
        - $ref: "#/components/parameters/ModelName"
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
        "400": {$ref: "#/components/responses/BadRequest"}
        "404": {$ref: "#/components/responses/NotFound"}
        "413": {$ref: "#/components/responses/TooLarge"}
        "415": {$ref: "#/components/responses/UnsupportedMediaType"}
        "422": {$ref: "#/components/responses/Unprocessable"}
        "500": {$ref: "#/components/responses/ModelFailure"}
        "503": {$ref: "#/components/responses/NotReady"}
    """
    hosted = get_manager(current_app).get_ready(name)
    raw = read_json_body(request)
    items = prediction.validate_batch(hosted, raw, current_app.config["MAX_BATCH_SIZE"])
    return jsonify(prediction.run_predict_batch(hosted, items))
