"""Validate prediction input and output against a model's published contract.

The JSON Schema of the model's schema class (marshmallow or pydantic, through its adapter in
``schema.py``) is the contract, exactly: it is checked first (compiled once with fastjsonschema
for the happy path), so nothing the schema forbids is quietly coerced by the library (``"3.5"``
for a number, ``1.5`` for an integer). Only data that passes is loaded through the library, which
deserializes it (defaults, nested objects, custom validators). Field messages for a 422 come from ``jsonschema``, which reports
every error with its path rather than only the first.

For plain schemas (numbers, strings, booleans, nested objects; see ``fastpath.py``) marshmallow's
load and dump are replaced by a compiled plan with the same result, and a batch is checked column
by column in one pass; anything unusual takes the marshmallow path above.
"""
from __future__ import annotations

import logging
import re
import weakref
from functools import lru_cache
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator, ValidationError, validators

from .. import media
from .fastpath import Fallback, compile_plan
from .schema import MarshmallowAdapter, SchemaDumpError, SchemaLoadError, adapter_for
from .values import TYPE_NAMES, describe_type, describe_types

log = logging.getLogger(__name__)

# Sentences for the JSON Schema keywords a marshmallow schema converts to; {0} is the limit.
_KEYWORD_MESSAGES = {
    "minimum": "Must be greater than or equal to {0}.",
    "maximum": "Must be less than or equal to {0}.",
    "exclusiveMinimum": "Must be greater than {0}.",
    "exclusiveMaximum": "Must be less than {0}.",
    "minLength": "Shorter than minimum length {0}.",
    "maxLength": "Longer than maximum length {0}.",
    "minItems": "Must contain at least {0} item(s).",
    "maxItems": "Must contain at most {0} item(s).",
    "pattern": "Does not match the pattern {0}.",
}


def _message(error: Any) -> str:
    """Turn one jsonschema error into a sentence a user can act on."""
    keyword, value = error.validator, error.validator_value
    if keyword == "type":
        return f"Not a valid value: expected {_expected(value)}, got {describe_type(error.instance)}."
    if keyword == "enum":
        return "Must be one of: " + ", ".join(str(v) for v in value) + "."
    if keyword == "maxLength":  # a media string: say how many bytes it holds
        oversize = media.oversize_json_message(error.schema, error.instance)
        if oversize:
            return oversize
    if keyword in _KEYWORD_MESSAGES:
        return _KEYWORD_MESSAGES[keyword].format(value)
    return error.message


def _expected(types: Any) -> str:
    # "a boolean (true or false)": says what to type, where a bare "a boolean" may not.
    return describe_types(types).replace(TYPE_NAMES["boolean"], TYPE_NAMES["boolean"] + " (true or false)")


def _insert(errors: dict, path: list, message: str) -> None:
    """Place ``message`` in a marshmallow-style nested error dict at ``path``."""
    node = errors
    for key in path[:-1]:
        node = node.setdefault(key, {})
        if isinstance(node, list):  # a field already holding messages: keep them side by side
            return node.append(message) if message not in node else None
    leaf = node.setdefault(path[-1] if path else "_schema", [])
    if isinstance(leaf, dict):
        leaf = leaf.setdefault("_schema", [])
    if message not in leaf:
        leaf.append(message)


def json_schema_errors(validator: Draft202012Validator, data: Any) -> dict:
    """Return every JSON Schema violation of ``data`` as ``{field: [messages]}``, nested."""
    errors: dict = {}
    for error in validator.iter_errors(data):
        path = list(error.absolute_path)
        if error.validator == "required":
            for name in error.validator_value:
                if isinstance(error.instance, dict) and name not in error.instance:
                    _insert(errors, path + [name], "Missing data for required field.")
        elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(error.schema.get("properties", {}))
            for name in error.instance:
                if name not in allowed:
                    _insert(errors, path + [name], "Unknown field.")
        else:
            _insert(errors, path, _message(error))
    return errors


# JSON Schema patterns are ECMA 262 regular expressions, where an unescaped `$` matches only at the
# very end; Python's also matches before a final newline. fastjsonschema rewrites `$` as `\Z`; the
# detailed validator must agree with it, or "12345\n" fails the fast check but shows no field error.
_DOLLAR = re.compile(r"(?<!\\)\$")


@lru_cache(maxsize=256)
def _ecma_regex(pattern: str) -> re.Pattern:
    return re.compile(_DOLLAR.sub(r"\\Z", pattern))


def _pattern(validator: Any, pattern: str, instance: Any, schema: dict):
    if validator.is_type(instance, "string") and not _ecma_regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_DetailedValidator = validators.extend(Draft202012Validator, {"pattern": _pattern})


def _fast_error(error: fastjsonschema.JsonSchemaValueException) -> dict:
    """Name the field from fastjsonschema's error when the detailed validator found none.

    The two disagree on keywords that jsonschema only annotates (``format``: "date-time",
    "email", "uuid", ...), so the fast check's own path and rule are the field error then.
    """
    path = [int(key) if isinstance(key, str) and key.isdigit() else key
            for key in (error.path or [])[1:]]  # the first element names the root, "data"
    if error.rule == "format":
        message = f"Not a valid {error.rule_definition}."
    else:
        message = f"Does not satisfy the schema's '{error.rule}' rule."
    errors: dict = {}
    _insert(errors, path, message)
    return errors


_VALIDATORS: "weakref.WeakKeyDictionary[type, SchemaValidator]" = weakref.WeakKeyDictionary()


class SchemaValidator:
    """The compiled checks of one schema class: fast on success, precise on failure."""

    def __init__(self, schema_class: type) -> None:
        adapter = adapter_for(schema_class)
        if adapter is None:
            raise TypeError(f"{schema_class!r} is not a schema class the service knows")
        self.adapter = adapter
        self.json_schema = adapter.json_schema()
        # fastjsonschema would enforce contentEncoding (decoding every media string on each
        # check); the media fields check their own content.
        self._fast = fastjsonschema.compile(media.without_content_assertions(self.json_schema))
        self._detailed = _DetailedValidator(self.json_schema)
        self.plan = compile_plan(adapter.schema) if isinstance(adapter, MarshmallowAdapter) else None
        self._field_names = adapter.field_names()
        self._media = adapter.media_fields()  # multipart/raw bytes stand in as ""
        # The field a raw request body fills, and the one whose bytes answer `Accept: image/png`.
        self.raw_input_field = adapter.raw_media_field()
        self.raw_output_field = adapter.raw_media_field(output=True)

    @classmethod
    def for_schema(cls, schema_class: type) -> "SchemaValidator":
        """The validator of ``schema_class``, compiled once per process and shared.

        A validator never changes after it is built, so the same class hosted under many names
        (or in several test apps) compiles its checks once: start-up and memory stay flat.
        """
        validator = _VALIDATORS.get(schema_class)
        if validator is None:
            validator = _VALIDATORS[schema_class] = cls(schema_class)
        return validator

    @property
    def media_fields(self) -> dict:
        """The top-level media fields, by name (empty for most models)."""
        return self._media

    def errors(self, data: Any) -> dict | None:
        """Return the field errors of ``data`` (raw JSON), or None when it conforms."""
        if self._media:
            data = media.json_stand_in(data, self._media)
        try:
            self._fast(data)
            return None
        except fastjsonschema.JsonSchemaValueException as error:
            return json_schema_errors(self._detailed, data) or _fast_error(error)

    def load(self, data: Any) -> tuple[dict | None, dict | None]:
        """Validate and deserialize one raw JSON value; return ``(loaded, errors)``."""
        errors = self.errors(data)
        if errors:
            return None, errors
        if self.plan is not None:
            try:
                return self.plan.load(data), None
            except Exception:  # e.g. an integer too large for a float: marshmallow says why
                pass
        try:
            return self.adapter.load(data), None
        except SchemaLoadError as error:
            return None, error.messages

    def dump_checked(self, result: Any) -> tuple[Any, dict | None]:
        """Serialise a model's output and check it against the output schema."""
        mapping = self.adapter.as_mapping(result)  # e.g. a pydantic instance: its fields
        if not isinstance(mapping, dict):
            return None, {"_schema": [f"Expected an object, got {type(result).__name__}."]}
        try:
            dumped = self._dump(result)
        except Exception as error:  # a model returning values its own schema cannot dump
            if isinstance(error, SchemaDumpError):
                return None, error.messages  # a field that named itself, e.g. a media output
            return None, self.errors(mapping) or {"_schema": [f"Cannot serialise output: {error}"]}
        extra = set(mapping) - self._field_names
        errors = self.errors(dumped)
        if extra:
            errors = errors or {}
            for name in sorted(extra):
                errors.setdefault(name, []).append("Unknown field.")
        return dumped, errors

    def _dump(self, result: dict) -> Any:
        if self.plan is not None:
            try:
                return self.plan.dump(result)
            except Fallback:
                pass
        return self.adapter.dump(result)

    def load_many_unchanged(self, items: Any) -> bool:
        """Tell whether a whole batch conforms and loads to itself (checked column by column).

        False means "not sure": load the items one by one to get their values and errors.
        """
        return self.plan is not None and isinstance(items, list) and self.plan.conforms(items)

    def dump_many_unchanged(self, results: Any) -> bool:
        """Tell whether a batch of model outputs conforms and dumps to itself."""
        return self.load_many_unchanged(results)


def model_json_schemas(name: str, model_class: type) -> tuple[dict, dict]:
    """Return the input and output JSON Schemas a model publishes (as its metadata shows them).

    They are the schemas its validators check against, converted once per schema class and
    titled here, so a metadata request converts nothing again.
    """
    return tuple(
        {"$schema": schema["$schema"], "title": f"{name} {kind}", **schema}
        for kind, schema in (
            ("input", SchemaValidator.for_schema(model_class.input_schema).json_schema),
            ("output", SchemaValidator.for_schema(model_class.output_schema).json_schema),
        )
    )


def valid_examples(name: str, model_class: type, validator: SchemaValidator) -> list[dict]:
    """Return the model's ``examples`` that match its input schema; warn about the others.

    The one filter of examples, run once when the model loads (``HostedModel.examples``): the
    API document's request examples, the form and the metadata page's curl line use its result.
    """
    examples = getattr(model_class, "examples", None) or []
    if not isinstance(examples, (list, tuple)):
        log.warning("Model %s: 'examples' must be a list of input objects; ignored.", name)
        return []
    valid = []
    for index, example in enumerate(examples):
        errors = validator.errors(example) if isinstance(example, dict) else {
            "_schema": ["Expected a JSON object."]}
        if errors:
            log.warning("Model %s: example %d does not match the input schema and is left "
                        "out: %s", name, index, errors)
        else:
            valid.append(example)
    return valid
