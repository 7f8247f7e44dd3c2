"""The schema adapter: one small interface over the library a model's schemas are written in.

The service needs three things of a schema class: its JSON Schema (the published contract),
``load`` (deserialize input that already passed the JSON Schema check) and ``dump`` (serialise a
model's output). ``adapter_for`` picks the adapter for a schema class; marshmallow is the only
library today, and another one plugs in as a second ``SchemaAdapter``.
"""
from __future__ import annotations

from typing import Any

from apispec.ext.marshmallow.openapi import OpenAPIConverter
from marshmallow import Schema, fields, validate
from marshmallow import ValidationError as MarshmallowValidationError

from .. import media

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


class SchemaLoadError(Exception):
    """Data the schema refuses; ``messages`` maps each field to its messages (nested)."""

    def __init__(self, messages: dict) -> None:
        super().__init__(str(messages))
        self.messages = messages


class SchemaDumpError(Exception):
    """Output a field refuses by name (e.g. an image in the wrong format): ``messages`` says why."""

    def __init__(self, messages: dict) -> None:
        super().__init__(str(messages))
        self.messages = messages


class SchemaAdapter:
    """What the service asks of a schema class. Subclass this and implement every method."""

    def __init__(self, schema_class: type) -> None:
        self.schema_class = schema_class

    @classmethod
    def handles(cls, schema_class: Any) -> bool:
        """Tell whether ``schema_class`` is written with this adapter's library."""
        raise NotImplementedError

    def json_schema(self) -> dict:
        """Return the self-contained JSON Schema (2020-12) of one value."""
        raise NotImplementedError

    def load(self, data: dict) -> Any:
        """Deserialize data that passed the JSON Schema check; raise ``SchemaLoadError``."""
        raise NotImplementedError

    def dump(self, value: Any) -> Any:
        """Serialise a model's output into JSON values (unknown keys dropped)."""
        raise NotImplementedError

    def field_names(self) -> set[str]:
        """The top-level field names, to tell a model's stray output keys."""
        raise NotImplementedError

    def media_fields(self) -> dict:
        """The top-level media fields (``model_service.media``), by their name on the wire."""
        raise NotImplementedError

    def raw_media_field(self, output: bool = False) -> tuple[str, Any] | None:
        """``(name, field)`` that a raw body (an input) or raw bytes (an output) stands for.

        As an input: the only media field, with no other field required. As an output: the
        only media field. None when there is no such field.
        """
        raise NotImplementedError


class MarshmallowAdapter(SchemaAdapter):
    """Schemas written as marshmallow ``Schema`` classes."""

    def __init__(self, schema_class: type[Schema]) -> None:
        super().__init__(schema_class)
        self.schema = schema_class()

    @classmethod
    def handles(cls, schema_class: Any) -> bool:
        return isinstance(schema_class, type) and issubclass(schema_class, Schema)

    def json_schema(self) -> dict:
        return to_json_schema(self.schema_class)

    def load(self, data: dict) -> Any:
        try:
            return self.schema.load(data)
        except MarshmallowValidationError as error:
            messages = error.messages
            raise SchemaLoadError(messages if isinstance(messages, dict)
                                  else {"_schema": messages}) from None

    def dump(self, value: Any) -> Any:
        try:
            return self.schema.dump(value)
        except MarshmallowValidationError as error:
            if error.field_name != "_schema":
                raise SchemaDumpError(error.normalized_messages()) from None
            raise

    def field_names(self) -> set[str]:
        return set(self.schema.fields)

    def media_fields(self) -> dict:
        return dict(media.media_fields(self.schema))

    def raw_media_field(self, output: bool = False) -> tuple[str, Any] | None:
        return (media.raw_response_field if output else media.raw_body_field)(self.schema)


ADAPTERS: list[type[SchemaAdapter]] = [MarshmallowAdapter]


def adapter_for(schema_class: Any) -> SchemaAdapter | None:
    """The adapter of ``schema_class``, or None when no adapter knows its library."""
    for adapter in ADAPTERS:
        if adapter.handles(schema_class):
            return adapter(schema_class)
    return None


def is_schema_class(value: Any) -> bool:
    """Tell whether ``value`` is a schema class the service can host."""
    return any(adapter.handles(value) for adapter in ADAPTERS)


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


#: Field metadata the pages read, published as JSON Schema extension keywords. apispec copies
#: only metadata keys that are schema keywords or start with ``x-``, so ``metadata={"unit": "cm"}``
#: would otherwise vanish from the contract (an author may also write ``x-unit`` directly).
DISPLAY_METADATA = {"unit": "x-unit", "multiline": "x-multiline", "probabilities": "x-probabilities"}


def _display_metadata(self: OpenAPIConverter, field: fields.Field, ret: dict, **kwargs: Any) -> dict:
    """Publish the display hints of ``DISPLAY_METADATA`` under their ``x-`` names."""
    return {keyword: field.metadata[key] for key, keyword in DISPLAY_METADATA.items()
            if key in field.metadata and keyword not in ret}


_converter = OpenAPIConverter(openapi_version="3.1.0", schema_name_resolver=_inline, spec=None)
_converter.add_attribute_function(_exclusive_bounds)
_converter.add_attribute_function(media.media2properties)
_converter.add_attribute_function(_display_metadata)


def to_json_schema(schema: type[Schema] | Schema, title: str | None = None) -> dict:
    """Convert a marshmallow schema into a self-contained JSON Schema (2020-12) object."""
    converted = _converter.schema2jsonschema(schema)
    result: dict[str, Any] = {"$schema": JSON_SCHEMA_DIALECT}
    if title:
        result["title"] = title
    result.update(converted)
    return result
