"""What a media model's predict operation adds to the OpenAPI document (DESIGN §1.1).

The JSON body stays the model's input schema, media fields as base64 strings. Besides it, the
operation documents the other bodies the endpoint reads (``codec.read_predict_body``):

- ``multipart/form-data``: the same fields, each media field a binary part (``format: binary``,
  with its ``contentMediaType`` and limits) whose ``encoding`` lists the media types it takes;
- the raw body, one content entry per media type, for a model whose only required input is its
  one media field (``SchemaValidator.raw_input_field``);

and the answers it can give: the raw bytes of the one media output under its media types when
asked by ``Accept`` (``raw_output_field``), a 415 that names the bodies it takes, and a 406 when
the output may be of a type the client did not ask for.
"""
from __future__ import annotations

from typing import Any

from ... import media
from ...core.validation import SchemaValidator
from .codec import JSON, accepted_types
from .problems import PROBLEM_MIMETYPE, problem_body

# Facts of the field that a content entry of one media type would only blur.
_ONE_TYPE_HIDES = ("x-mediaTypes", "x-formats")


def has_media(hosted: Any) -> bool:
    """Tell whether a model takes or gives a media field (its operation documents more)."""
    return bool(hosted.input_validator.media_fields or hosted.output_validator.media_fields)


def binary_schema(field: media.MediaField, media_type: str | None = None,
                  description: str | None = None) -> dict:
    """The schema of a media value sent as bytes: a binary string of its media type and limits.

    ``media_type`` names the one type of a raw body; a multipart part keeps the field's own
    ``contentMediaType`` and lists its types (the part's ``encoding`` has them too).
    """
    facts = field.json_schema()
    schema = {"type": "string", "format": "binary",  # a part or a body is never null
              "contentMediaType": media_type or facts["contentMediaType"]}
    if description or facts.get("description"):
        schema["description"] = description or facts["description"]
    schema.update({key: value for key, value in facts.items() if key.startswith("x-")
                   and not (media_type and key in _ONE_TYPE_HIDES)})
    return schema


def multipart_schema(validator: SchemaValidator) -> dict:
    """The input schema as a multipart body: each media field a binary part, the rest text parts."""
    schema = {key: value for key, value in validator.json_schema.items() if key != "$schema"}
    properties = dict(schema.get("properties") or {})
    for name, field in validator.media_fields.items():
        described = properties.get(name, {}).get("description")
        properties[name] = binary_schema(field, description=described)
    for name in schema.get("required") or ():
        text = properties.get(name)
        if name not in validator.media_fields and isinstance(text, dict) and _may_be_string(text):
            # An empty text part counts as a missing field (as an empty form input does).
            properties[name] = {**text, "minLength": max(1, text.get("minLength", 0))}
    schema["properties"] = properties
    schema.setdefault("description", "One input as multipart/form-data: a file part per media "
                      "field, a text part per other field (read by the field's type, as the "
                      "HTML form's inputs are).")
    return schema


def _may_be_string(schema: dict) -> bool:
    kinds = schema.get("type")
    return kinds is None or kinds == "string" or isinstance(kinds, list) and "string" in kinds


def multipart_content(validator: SchemaValidator, schema_ref: dict) -> dict:
    """The ``multipart/form-data`` media type object, with each media part's content types."""
    return {
        "schema": schema_ref,
        "encoding": {name: {"contentType": ", ".join(field.media_types)}
                     for name, field in validator.media_fields.items()},
    }


def raw_body_content(validator: SchemaValidator) -> dict:
    """The raw-body media type objects (``image/jpeg``: the file itself), or none."""
    raw = validator.raw_input_field
    if raw is None:
        return {}
    name, field = raw
    return {media_type: {"schema": binary_schema(
        field, media_type, f"The `{name}` field as the whole body: {field.describe()}.")}
        for media_type in field.media_types}


def raw_answer_content(validator: SchemaValidator) -> dict:
    """The media type objects of the raw answer to ``Accept: <media type>``, or none."""
    raw = validator.raw_output_field
    if raw is None:
        return {}
    name, field = raw
    return {media_type: {"schema": binary_schema(
        field, media_type, f"The `{name}` field alone, as raw bytes.")}
        for media_type in field.media_types}


def request_body_note(validator: SchemaValidator) -> str:
    """Say, for the operation's description, which bodies the endpoint takes."""
    names = ", ".join(f"`{name}`" for name in validator.media_fields)
    note = (f"Media fields ({names}) are base64 strings (or `data:` URIs) in JSON, or file "
            "parts of a `multipart/form-data` body.")
    raw = validator.raw_input_field
    if raw is not None:
        note += (f" The `{raw[0]}` file may also be the whole body, sent with its own "
                 f"Content-Type ({', '.join(raw[1].media_types)}).")
    return note


def answer_note(validator: SchemaValidator) -> str:
    """Say, for the operation's description, how to ask for the raw media answer ("" if none)."""
    raw = validator.raw_output_field
    if raw is None:
        return ""
    return (f" With `Accept: {raw[1].media_types[0]}` (a media type of `{raw[0]}`, preferred to "
            "JSON) the answer is that field's raw bytes; otherwise JSON, the media as base64.")


def _problem(status: int, description: str, detail: str, errors: Any = None) -> dict:
    return {"description": description, "content": {PROBLEM_MIMETYPE: {
        "schema": {"$ref": "#/components/schemas/Problem"},
        "example": problem_body(status, detail, errors)}}}


def unsupported_media_type(input_validator: SchemaValidator) -> dict:
    """The 415 of a media model's predict: the bodies it does take, named."""
    types = accepted_types(input_validator)
    return _problem(415, f"The body is sent as none of: {', '.join(types)}.",
                    f"Content-Type must be {' or '.join(types)}; got text/plain.",
                    {"Content-Type": ["Unsupported media type: text/plain."]})


def not_acceptable(output_validator: SchemaValidator) -> dict | None:
    """The 406 of a model whose raw answer may be of a type ``Accept`` did not name, else None.

    Only an output field of several media types can answer one the client did not ask for
    (``Accept: image/jpeg`` when the model returned a PNG); with one type there is no 406.
    """
    raw = output_validator.raw_output_field
    if raw is None or len(raw[1].media_types) < 2:
        return None
    first = raw[1].media_types[0]
    return _problem(406, f"The model answered a media type the Accept header does not allow; "
                         f"ask for {JSON} or that type.",
                    f"The model answered {first}, which the Accept header does not allow; ask "
                    f"for {first} or {JSON}.")

