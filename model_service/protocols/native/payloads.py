"""Marshmallow schemas of the native API's own payloads (OpenAPI components)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

MODEL_STATUSES = ("ready", "failed")


class ModelSummarySchema(Schema):
    """One hosted model as listed by ``GET /api/models``."""

    qualified_name = fields.String(required=True, metadata={"description": "URL-safe unique name."})
    display_name = fields.String(required=True)
    description = fields.String(required=True)
    version = fields.String(required=True, metadata={"description": "The model's own version."})
    status = fields.String(required=True, validate=validate.OneOf(MODEL_STATUSES))
    error = fields.String(
        allow_none=True,
        metadata={"description": "Why the model failed to load (only when status is 'failed')."},
    )


class ModelCollectionSchema(Schema):
    """Body of ``GET /api/models``."""

    models = fields.List(fields.Nested(ModelSummarySchema), required=True)


class ModelMetadataSchema(ModelSummarySchema):
    """Body of ``GET /api/models/<name>/metadata``: the summary plus both JSON Schemas."""

    input_schema = fields.Dict(
        required=True, metadata={"description": "JSON Schema (2020-12) of one prediction input."}
    )
    output_schema = fields.Dict(
        required=True, metadata={"description": "JSON Schema (2020-12) of one prediction output."}
    )


class ReadinessSchema(Schema):
    """Body of ``GET /readyz``: the overall status and each model's."""

    status = fields.String(required=True, validate=validate.OneOf(
        ["ready", "not ready", "shutting down"]))
    models = fields.Dict(keys=fields.String(), values=fields.String(
        validate=validate.OneOf(MODEL_STATUSES)), required=True)
    stuck = fields.List(fields.String(), metadata={
        "description": "Models with a call running past their timeout_s in the process that "
                       "answered (their callers got 504s; the model is still ready)."})


class ProblemSchema(Schema):
    """An RFC 9457 problem-details body, the shape of every API error."""

    type = fields.String(required=True, metadata={"example": "about:blank"})
    title = fields.String(required=True, metadata={"example": "Unprocessable Content"})
    status = fields.Integer(required=True, metadata={"example": 422})
    detail = fields.String(metadata={"description": "What went wrong, for a person."})
    errors = fields.Raw(
        metadata={
            "description": "Field errors: field name (or batch item index) to a list of "
            "messages, nested for nested fields."
        }
    )
    request_id = fields.String(metadata={"description": "The request's id, also in X-Request-ID."})
