"""The schema adapter: one small interface over the library a model's schemas are written in.

The service needs three things of a schema class: its JSON Schema (the published contract),
``load`` (deserialize input that already passed the JSON Schema check) and ``dump`` (serialise a
model's output). ``adapter_for`` picks the adapter for a schema class: marshmallow ``Schema``
classes (``MarshmallowAdapter``) and pydantic v2 ``BaseModel`` classes (``PydanticAdapter``, which
imports pydantic only when it meets one); another library plugs in as one more ``SchemaAdapter``.
"""
from __future__ import annotations

import sys
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

    def as_mapping(self, value: Any) -> Any:
        """A model's output as a mapping of its top-level values, to tell stray keys."""
        return value

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


class PydanticAdapter(SchemaAdapter):
    """Schemas written as pydantic v2 ``BaseModel`` classes (``pydantic_schema.py`` does the work).

    ``load`` gives ``predict`` a validated model instance; a model may answer with an instance
    or a dict, validated through the output model and dumped with ``model_dump(mode="json")``.

    No compiled fast path as for marshmallow: pydantic's own validation is as fast for one item.
    The iris schema, medians of ``python -m bench.schema_libraries`` (pydantic 2.14, marshmallow
    4.4; JSON Schema check included): load one input 2.9 µs (marshmallow's fast path 2.9,
    marshmallow itself 35.8), check and dump one output 7.5 µs (4.3, 7.8), load a batch of 1000
    inputs 6.9 ms (0.42 checked column by column, 30.0); 2 shared cores at a load average of 7-9,
    so the ratios say more than the figures.
    """

    def __init__(self, schema_class: type) -> None:
        super().__init__(schema_class)
        from . import pydantic_schema  # pydantic loads with the first pydantic model, not before

        self._pydantic = pydantic_schema
        self._fields = pydantic_schema.fields_of(schema_class)
        self._media = {fact.wire: fact.media for fact in self._fields if fact.media is not None}

    @classmethod
    def handles(cls, schema_class: Any) -> bool:
        pydantic = sys.modules.get("pydantic")  # no pydantic loaded: no pydantic model exists
        return (pydantic is not None and isinstance(schema_class, type)
                and issubclass(schema_class, pydantic.BaseModel)
                and schema_class is not pydantic.BaseModel
                and not getattr(schema_class, "__pydantic_root_model__", False))

    def json_schema(self) -> dict:
        return {"$schema": JSON_SCHEMA_DIALECT, **self._pydantic.json_schema(self.schema_class)}

    def load(self, data: dict) -> Any:
        loaded, errors = self._pydantic.load(self.schema_class, data)
        if errors:
            raise SchemaLoadError(errors)
        return loaded

    def dump(self, value: Any) -> Any:
        dumped, errors = self._pydantic.dump(self.schema_class, self._fields, value)
        if errors:
            raise SchemaDumpError(errors)
        return dumped

    def as_mapping(self, value: Any) -> Any:
        return self._pydantic.as_mapping(value)

    def field_names(self) -> set[str]:
        return {name for fact in self._fields for name in (fact.attribute, fact.wire)}

    def media_fields(self) -> dict:
        return dict(self._media)

    def raw_media_field(self, output: bool = False) -> tuple[str, Any] | None:
        # The rule of media.raw_body_field / raw_response_field, on pydantic's fields.
        if output:
            return next(iter(self._media.items())) if len(self._media) == 1 else None
        required = [fact.wire for fact in self._fields if fact.required]
        if len(required) == 1:
            return (required[0], self._media[required[0]]) if required[0] in self._media else None
        return next(iter(self._media.items())) if not required and len(self._media) == 1 else None


ADAPTERS: list[type[SchemaAdapter]] = [MarshmallowAdapter, PydanticAdapter]


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
