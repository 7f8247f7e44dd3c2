"""Schemathesis hooks of the fuzz test: real images and text where the service checks content.

A media field's JSON Schema says "a base64 string", and a multipart part's says "binary": any
such value is schema-valid, but the service rightly refuses bytes that are not a PNG or JPEG
(DESIGN §1.1). So that "schema-valid data is accepted" can be checked on media models too,
schema-valid (positive) cases carry real content:

- file parts and raw bodies of ``image/png``, ``image/jpeg`` and ``text/plain`` come from the
  strategies registered below (schemathesis picks them by the part's ``encoding`` and the body's
  media type);
- base64 strings in JSON bodies (one object, or a batch) are replaced by ``map_case`` with an
  encoded image of one of the field's ``x-formats`` (or text of its ``x-mediaTypes``).

Negative cases are left as generated: they must still be refused.
"""
from __future__ import annotations

import base64
import io
from typing import Any

import schemathesis
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from PIL import Image

_PILLOW_NAMES = {"png": "PNG", "jpeg": "JPEG", "gif": "GIF", "webp": "WEBP", "bmp": "BMP"}


def encoded_image(image_format: str, width: int, height: int, shade: int) -> bytes:
    """A small RGB image of ``image_format`` (a name of ``x-formats``)."""
    image = Image.new("RGB", (width, height), (shade, 255 - shade, 128))
    buffer = io.BytesIO()
    image.save(buffer, _PILLOW_NAMES[image_format])
    return buffer.getvalue()


def _images(image_format: str) -> st.SearchStrategy[bytes]:
    sides = st.integers(min_value=1, max_value=48)
    return st.builds(encoded_image, st.just(image_format), sides, sides,
                     st.integers(min_value=0, max_value=255))


_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=200)

schemathesis.openapi.media_type("image/png", _images("png"))
schemathesis.openapi.media_type("image/jpeg", _images("jpeg"))
schemathesis.openapi.media_type("text/plain", _TEXT.map(str.encode))


def _sample(schema: dict, seed: int) -> bytes | None:
    """Valid content for a media field's JSON Schema, varied by ``seed``; None if unknown."""
    formats = schema.get("x-formats")
    if formats:
        side = seed % 32 + 1
        return encoded_image(formats[seed % len(formats)], side, side + seed % 3, seed % 256)
    media_types = schema.get("x-mediaTypes") or []
    if any(media_type.startswith("text/") for media_type in media_types):
        return f"text number {seed}".encode()
    return None


def _follow(document: dict, node: Any) -> Any:
    """Follow local ``$ref``s until a schema that is not a reference."""
    while isinstance(node, dict) and "$ref" in node:
        target = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _media_properties(document: dict, schema: Any) -> dict:
    """The properties of an object schema that are media fields (base64 with ``x-maxBytes``)."""
    schema = _follow(document, schema)
    properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
    return {name: prop for name, prop in ((n, _follow(document, p)) for n, p in properties.items())
            if isinstance(prop, dict) and prop.get("contentEncoding") == "base64"
            and "x-maxBytes" in prop}


def _with_content(item: Any, media: dict) -> Any:
    if not isinstance(item, dict):
        return item
    replaced = dict(item)
    for name, schema in media.items():
        value = item.get(name)
        if isinstance(value, str):
            content = _sample(schema, len(value))
            if content is not None:
                replaced[name] = base64.b64encode(content).decode("ascii")
    return replaced


def _body_schema(case, media_type: str) -> Any:
    """The request body schema the document gives ``case``'s operation for ``media_type``."""
    document = case.operation.schema.raw_schema
    operation = document["paths"][case.operation.path][case.operation.method.lower()]
    content = operation.get("requestBody", {}).get("content", {}).get(media_type, {})
    return _follow(document, content.get("schema"))


def _is_positive(case) -> bool:
    return case.meta is not None and case.meta.generation.mode.is_positive


@schemathesis.hook
def filter_case(context, case):
    """Drop positive multipart cases that break the document's own schema.

    Schemathesis's coverage phase (4.32) fills the required parts it does not draw from a media
    type strategy with ``""``, which a required text part's ``minLength: 1`` forbids; such a case
    is not schema-valid, so the service's 422 is right and the case proves nothing.
    """
    if not _is_positive(case) or case.media_type != "multipart/form-data":
        return True
    if not isinstance(case.body, dict):
        return True
    document = case.operation.schema.raw_schema
    properties = (_body_schema(case, case.media_type) or {}).get("properties", {})
    for name, value in case.body.items():
        schema = _follow(document, properties.get(name))
        if isinstance(schema, dict) and schema.get("format") != "binary":
            if not Draft202012Validator(schema).is_valid(value):
                return False
    return True


@schemathesis.hook
def map_case(context, case):
    """Give the media fields of a positive JSON case real content (see the module docstring)."""
    if not _is_positive(case) or case.media_type != "application/json":
        return case
    schema = _body_schema(case, case.media_type)
    if not isinstance(schema, dict):
        return case
    document = case.operation.schema.raw_schema
    if schema.get("type") == "array":
        media = _media_properties(document, schema.get("items"))
        if media and isinstance(case.body, list):
            case.body = [_with_content(item, media) for item in case.body]
    else:
        media = _media_properties(document, schema)
        if media:
            case.body = _with_content(case.body, media)
    return case
