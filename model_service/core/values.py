"""JSON values as people type and read them: type names, text -> value, flattened errors.

One rule each, shared by everything that needs it: the validator's messages, the form, the
metadata page, the CSV reader of ``model-service predict`` and (mirrored, see below) the page's
script ``static/js/predict.js``.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any, Iterator, Mapping

import orjson

#: Each JSON type as a sentence names it.
TYPE_NAMES = {
    "null": "null",
    "boolean": "a boolean",
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "array": "an array",
    "object": "an object",
}

# The number syntax the server and the page's script both read (ASCII digits only, no "1_000",
# no "inf"); predict.js holds the same two expressions.
INTEGER_TEXT = re.compile(r"^[+-]?[0-9]+$")
NUMBER_TEXT = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")


def json_type_name(value: Any) -> str | None:
    """Name the JSON type of a Python value as JSON Schema does; None when it is not JSON."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return None


def describe_type(value: Any) -> str:
    """``a string``, ``an integer``...: the JSON type of ``value`` in words."""
    name = json_type_name(value)
    return TYPE_NAMES[name] if name else type(value).__name__


def describe_types(types: Any) -> str:
    """``a number or null``: JSON Schema ``type`` keyword value(s) in words."""
    if isinstance(types, str):
        types = [types]
    return " or ".join(TYPE_NAMES.get(t, t) for t in types)


def json_text(value: Any) -> str:
    """Show a JSON value as text: strings as they are, anything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# --- Kinds of input, and text -> JSON value ------------------------------------------------

def schema_types(schema: Mapping) -> list[str]:
    """The ``type`` keyword of a JSON Schema as a list."""
    value = schema.get("type")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [t for t in value if isinstance(t, str)]
    return []


def input_kind(schema: Mapping) -> str:
    """The kind of input that fits a (resolved) JSON Schema.

    ``enum``, ``media`` (an image or file), ``boolean``, ``number``, ``integer``, ``string``,
    ``object`` (with properties),
    ``array`` (of one item schema), or ``json`` for any shape a single control cannot express.
    """
    if isinstance(schema.get("enum"), list) and schema["enum"] or "const" in schema:
        return "enum"
    if schema.get("contentEncoding") == "base64":
        return "media"  # an image or file: base64 text, or bytes from an upload
    types = [t for t in schema_types(schema) if t != "null"]
    if len(types) != 1:
        return "json"
    kind = types[0]
    if kind in ("boolean", "number", "integer", "string"):
        return kind
    if kind == "object" and isinstance(schema.get("properties"), dict) and schema["properties"]:
        return "object"
    if kind == "array" and isinstance(schema.get("items"), dict) and "prefixItems" not in schema:
        return "array"
    return "json"


def text_to_value(kind: str, raw: str) -> Any:
    """Read typed text (a form input, a CSV cell) as the JSON value its kind expects.

    Numbers follow ``NUMBER_TEXT``; a boolean is ``true`` or ``false``; enums, objects, arrays
    and other shapes are strict JSON (no NaN or Infinity); a string is itself. Text that is not
    a value of its kind stays a string, so that validation reports it with the message a JSON
    client would get. ``static/js/predict.js`` reads inputs by the same rules.
    """
    if kind in ("number", "integer"):
        text = raw.strip()
        if INTEGER_TEXT.match(text):
            return int(text)
        if NUMBER_TEXT.match(text):
            number = float(text)
            return number if math.isfinite(number) else raw
        return raw
    if kind == "boolean":
        lowered = raw.strip().lower()
        return {"true": True, "false": False}.get(lowered, raw)
    if kind in ("enum", "json", "object", "array"):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            return raw
    return raw


# --- Nested errors ------------------------------------------------------------------------

def flatten_errors(errors: Any, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """Yield ``(path, message)`` for every message of marshmallow-style nested errors.

    The rule: a mapping's keys extend the path, except ``_schema`` (an error about the object
    itself); a list holds messages at the same path (or nested errors, flattened there); any
    other value is one message. ``flatten`` in ``static/js/predict.js`` is the same rule.
    """
    if isinstance(errors, Mapping):
        for key, value in errors.items():
            yield from flatten_errors(value, path if key == "_schema" else path + (str(key),))
    elif isinstance(errors, list):
        for item in errors:
            if isinstance(item, (Mapping, list)):
                yield from flatten_errors(item, path)
            else:
                yield path, str(item)
    else:
        yield path, str(errors)
