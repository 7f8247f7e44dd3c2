"""Strict, fast JSON in and out.

Request bodies are read within the body limit (``protocols/reading.py``: 413 as a chunked body
passes it, 400 for a short body or broken framing), checked for depth and size before anything
is built from them (400 past ``MAX_JSON_DEPTH`` levels, 413 past ``MAX_JSON_VALUES`` values),
and parsed with orjson, which rejects what the JSON standard rejects (NaN, Infinity, trailing
commas). Responses are encoded with orjson through Flask's documented JSON-provider hook, so
``jsonify`` and ``app.json`` use it everywhere.
"""
from __future__ import annotations

from typing import Any

import orjson
from flask import Request, current_app
from flask.json.provider import JSONProvider

from ...core.errors import BadRequest, UnsupportedMediaType
from ..reading import check_json_shape, read_body

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
        raise UnsupportedMediaType("application/json", request.mimetype)
    config = current_app.config
    body = read_body(request.environ, config["MAX_CONTENT_LENGTH"])
    check_json_shape(body, config["MAX_JSON_DEPTH"], config["MAX_JSON_VALUES"])
    if not body.strip():
        raise BadRequest("The request body is empty; expected a JSON document.")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise BadRequest(f"The request body is not valid JSON: {error}.") from None
