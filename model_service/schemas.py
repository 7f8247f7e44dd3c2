"""Marshmallow schemas of the API's own payloads, and model schemas converted to JSON Schema."""
from __future__ import annotations

from typing import Any

from apispec.ext.marshmallow.openapi import OpenAPIConverter
from marshmallow import Schema, fields, validate

from .media import media2properties

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
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


def _inline(_schema: Any) -> None:
    # Returning None makes apispec inline nested schemas instead of emitting a $ref,
    # so the published JSON Schema is self-contained.
    return None


def _exclusive_bounds(self: OpenAPIConverter, field: fields.Field, ret: dict, **kwargs: Any) -> dict:
    """Publish ``Range(min_inclusive=False)``/``max_inclusive=False`` as exclusive bounds.

    apispec's converter writes every ``Range`` as inclusive ``minimum``/``maximum``, which would
    publish a looser contract than the one enforced; this moves such bounds to their exclusive
    keywords (apispec merges what an attribute function returns, so the inclusive keys are
    dropped from ``ret`` in place).
    """
    exclusive = {}
    for validator in field.validators:
        if not isinstance(validator, validate.Range):
            continue
        for bound, inclusive, keyword in ((validator.min, validator.min_inclusive, "Minimum"),
                                          (validator.max, validator.max_inclusive, "Maximum")):
            if bound is not None and not inclusive and keyword.lower() in ret:
                ret.pop(keyword.lower())
                exclusive[f"exclusive{keyword}"] = field._serialize(bound, None, None)
    return exclusive


_converter = OpenAPIConverter(openapi_version="3.1.0", schema_name_resolver=_inline, spec=None)
_converter.add_attribute_function(_exclusive_bounds)
_converter.add_attribute_function(media2properties)


def to_json_schema(schema: type[Schema] | Schema, title: str | None = None) -> dict:
    """Convert a marshmallow schema into a self-contained JSON Schema (2020-12) object."""
    converted = _converter.schema2jsonschema(schema)
    result: dict[str, Any] = {"$schema": JSON_SCHEMA_DIALECT}
    if title:
        result["title"] = title
    result.update(converted)
    return result
