"""The native API's codec: strict, fast JSON; multipart uploads; raw media bodies and answers.

Request bodies are read within the body limit (``protocols/reading.py``: 413 as a chunked body
passes it, 400 for a short body or broken framing), checked for depth and size before anything
is built from them (400 past ``MAX_JSON_DEPTH`` levels, 413 past ``MAX_JSON_VALUES`` values),
and parsed with orjson, which rejects what the JSON standard rejects (NaN, Infinity, trailing
commas). Responses are encoded with orjson through Flask's documented JSON-provider hook, so
``jsonify`` and ``app.json`` use it everywhere.

A prediction may also arrive as ``multipart/form-data`` (a file part per media field, text parts
typed by the schema by the form's own rule, ``core.values.text_to_value``) or, for a model whose
only required input is one media field, as the raw file with its ``Content-Type``. Media bytes go
to the media field as they are: the field checks them (type by content, size, pixels) before
the model sees them. Uploads are kept in memory (``MemoryRequest``), bounded by the body limit,
so no temporary file is ever left behind.
"""
from __future__ import annotations

import io
from typing import Any

import orjson
from flask import Request, current_app
from flask.json.provider import JSONProvider

from ... import media
from ...core.errors import BadRequest, NotAcceptable, UnsupportedMediaType, ValidationFailed
from ...core.validation import SchemaValidator
from ...core.values import input_kind, text_to_value
from ..reading import check_json_shape, read_body

JSON = "application/json"
MULTIPART = "multipart/form-data"

_DUMP_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


class OrjsonProvider(JSONProvider):
    """Flask JSON provider backed by orjson."""

    mimetype = "application/json"

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return orjson.dumps(obj, default=_default, option=_DUMP_OPTIONS).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return orjson.loads(s)

    def response(self, *args: Any, **kwargs: Any):
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(
            orjson.dumps(obj, default=_default, option=_DUMP_OPTIONS), mimetype=self.mimetype
        )


def _default(value: Any) -> Any:
    # Sets and decimals from model output; anything else is the model's bug and surfaces as such.
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def is_json_mimetype(mimetype: str) -> bool:
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


def read_json_body(request: Request) -> Any:
    """Return the parsed JSON body, or raise 415 (not JSON) / 400 (malformed) / 413 (too large)
    / 400 (nested too deep)."""
    if not is_json_mimetype(request.mimetype):
        raise UnsupportedMediaType(JSON, request.mimetype)
    config = current_app.config
    body = read_body(request.environ, config["MAX_CONTENT_LENGTH"])
    check_json_shape(body, config["MAX_JSON_DEPTH"], config["MAX_JSON_VALUES"])
    if not body.strip():
        raise BadRequest("The request body is empty; expected a JSON document.")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise BadRequest(f"The request body is not valid JSON: {error}.") from None


class MemoryRequest(Request):
    """Flask's request, keeping uploaded files in memory instead of temporary files.

    The whole body is bounded by ``MAX_CONTENT_LENGTH`` (10 MiB by default), so memory is bounded
    too, and nothing is written to disk that a failed request could leave behind.
    """

    def _get_file_stream(self, total_content_length, content_type, filename=None,
                         content_length=None):
        return io.BytesIO()


def accepted_types(validator: SchemaValidator) -> list[str]:
    """The request Content-Types a model's predict endpoint takes."""
    raw = validator.raw_input_field
    return [JSON, MULTIPART] + (list(raw[1].media_types) if raw else [])


def read_predict_body(request: Request, validator: SchemaValidator) -> Any:
    """Return one prediction's input from JSON, multipart or a raw media body (else 415)."""
    mimetype = request.mimetype
    if is_json_mimetype(mimetype):
        return read_json_body(request)
    if mimetype == MULTIPART:
        return read_multipart(request, validator)
    raw = validator.raw_input_field
    if raw is not None and mimetype and raw[1].accepts_media_type(mimetype):
        body = read_body(request.environ, current_app.config["MAX_CONTENT_LENGTH"])
        if not body:
            raise BadRequest(f"The request body is empty; expected {raw[1].describe()}.")
        return {raw[0]: body}
    raise UnsupportedMediaType(" or ".join(accepted_types(validator)), mimetype)


def read_multipart(request: Request, validator: SchemaValidator) -> dict:
    """Read a multipart body into an input object: file parts as bytes, text parts typed.

    A part's name is the field's name. A text part is read by its field's kind, as the HTML
    form's inputs are (an empty one is left out); a file part must be a media field of a type
    that field takes (422 naming the field otherwise); an empty file part (a form with no file
    chosen) is left out.
    """
    properties = validator.json_schema.get("properties") or {}
    media_fields = validator.media_fields
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, text in request.form.items():
        if text == "":
            continue
        schema = properties.get(name)
        if name in media_fields or not isinstance(schema, dict):
            data[name] = text  # base64 text, or an unknown field for validation to name
        else:
            data[name] = text_to_value(input_kind(schema), text)
    for name, upload in request.files.items():
        content = upload.read()
        if not content and not upload.filename:
            continue
        field = media_fields.get(name)
        if field is None:
            errors.setdefault(name, []).append(
                "Not a file field: send its value as a text part." if name in properties
                else "Unknown field.")
        elif not field.accepts_media_type(upload.mimetype):
            errors.setdefault(name, []).append(
                f"Unsupported media type: {upload.mimetype}; expected {field.describe()}.")
        else:
            data[name] = content
    if errors:
        raise ValidationFailed("The multipart body has parts the model cannot take.", errors)
    return data


def raw_output(request: Request, validator: SchemaValidator, result: dict) -> tuple[bytes, str] | None:
    """The raw bytes and media type to answer with, when the client asked for them by ``Accept``.

    Only a model with exactly one media output can answer so, and only when the client prefers
    one of that field's media types to JSON (``Accept: image/png``; ``*/*`` means JSON).
    """
    raw = validator.raw_output_field
    if raw is None:
        return None
    name, field = raw
    accept = request.accept_mimetypes
    json_quality = accept.quality(JSON)
    if not any(accept.quality(media_type) > json_quality for media_type in field.media_types):
        return None
    value = result.get(name)
    if not isinstance(value, str):
        return None
    data = media.decode_base64(value)
    media_type = field.media_type_of(data)
    if accept.quality(media_type) <= json_quality:
        raise NotAcceptable(f"The model answered {media_type}, which the Accept header does not "
                            f"allow; ask for {media_type} or application/json.")
    return data, media_type
