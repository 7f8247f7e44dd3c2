"""pydantic models as schemas: their published JSON Schema, loading, dumping, field messages.

Imported only when a hosted model's schema is a pydantic ``BaseModel`` (``schema.PydanticAdapter``
asks for it), so a service of marshmallow models never loads pydantic.

**The published schema** is pydantic's own (``model_json_schema``, validation mode, by alias)
put in the shape every other part of the service reads, the shape the marshmallow converter
writes:

- self-contained: every local ``$ref`` into ``$defs`` is inlined (its siblings, such as a field's
  ``description``, win over the definition's keys); only a recursive model keeps ``$defs`` and
  its ``$ref``, every one resolvable inside the schema;
- closed: an object with ``properties`` and no ``additionalProperties`` gets
  ``additionalProperties: false``. pydantic ignores unknown keys by default; the service refuses
  them, as it does for marshmallow (a model with ``extra="allow"`` publishes ``true`` and keeps it);
- ``X | None`` of a single-typed ``X`` is ``{"type": [X's type, "null"]}`` (with ``null`` added to
  an ``enum``), as marshmallow's ``allow_none`` is: the form, the metadata page and the V2
  tensors read it as one nullable field;
- no generated titles: pydantic titles every field from its name (``"Sepal Length"``) and every
  model and enum from its class name; the pages already label a field from its key, so only
  titles someone wrote (``Field(title=...)``, ``model_config["title"]``) are kept;
- the bounds and default of a ``number`` written as floats (``Field(gt=0)`` on a ``float``
  publishes ``0.0``), as marshmallow writes a ``Float``'s, so messages quote the same numbers;
- ``required`` sorted, as marshmallow's is.

A docstring on a model is its ``description``, as pydantic publishes it (marshmallow publishes
none): the one difference between the two ways of writing the same schema.

**Validation.** The service checks a request against that schema first, strictly, so pydantic's
lax coercion never widens the contract (``"181"`` is not an integer, unknown fields are refused).
Only then does ``load`` run ``model_validate`` for the model's own validators, defaults and types;
what it refuses becomes ``{field: [messages]}``, nested, like every other error of the service.
"""
from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.json_schema import GenerateJsonSchema

from ..media import MediaField
from ..pydantic_media import INPUT_CONTEXT, MediaType

_DATA_KEYWORDS = ("default", "enum", "const", "examples", "example")
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_VALUES = ("items", "additionalProperties", "not", "contains", "if", "then", "else",
                  "propertyNames", "unevaluatedItems", "unevaluatedProperties")
_DEFS_PREFIX = "#/$defs/"


class ServiceJsonSchema(GenerateJsonSchema):
    """pydantic's JSON Schema generator without the titles it makes up.

    A field's title from its name is never set; a model's, a dataclass's, a TypedDict's or an
    enum's title from its class name is taken off the finished schema (pydantic versions add
    it at different steps), unless the class's config wrote one.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._class_names: set[str] = set()

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False  # a title given with Field(title=...) is set elsewhere and kept

    def model_schema(self, schema: Any) -> dict:
        self._note_class(schema["cls"])
        return super().model_schema(schema)

    def dataclass_schema(self, schema: Any) -> dict:
        self._note_class(schema["cls"])
        return super().dataclass_schema(schema)

    def typed_dict_schema(self, schema: Any) -> dict:
        self._note_class(schema["cls"])
        return super().typed_dict_schema(schema)

    def enum_schema(self, schema: Any) -> dict:
        self._note_class(schema["cls"])
        return super().enum_schema(schema)

    def _note_class(self, cls: Any) -> None:
        config = (getattr(cls, "model_config", None) or getattr(cls, "__pydantic_config__", None)
                  or {})
        if not (config.get("title") or config.get("model_title_generator")):
            self._class_names.add(getattr(cls, "__name__", ""))

    def generate(self, schema: Any, mode: Any = "validation") -> dict:
        result = super().generate(schema, mode=mode)
        for node in (result, *(result.get("$defs") or {}).values()):
            if node.get("title") in self._class_names:
                del node["title"]
        return result


# ------------------------------------------------------------------------------------------------
# The published JSON Schema


def json_schema(model: type[BaseModel]) -> dict:
    """Return the JSON Schema of ``model`` in the service's shape (see the module docstring)."""
    generated = model.model_json_schema(mode="validation", schema_generator=ServiceJsonSchema)
    return _map_schema(inline_refs(generated), _service_shape)


def _children(node: dict, change: typing.Callable[[Any], Any]) -> dict:
    """Return ``node`` with ``change`` applied to each of its direct subschemas."""
    result = {}
    for key, value in node.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            value = {name: change(sub) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            value = [change(sub) for sub in value]
        elif key in _SCHEMA_VALUES:
            value = [change(sub) for sub in value] if isinstance(value, list) else change(value)
        result[key] = value
    return result


def _map_schema(node: Any, change: typing.Callable[[dict], dict]) -> Any:
    """Apply ``change`` to every subschema of ``node``, innermost first."""
    if not isinstance(node, dict):
        return node
    return change(_children(node, lambda sub: _map_schema(sub, change)))


def inline_refs(schema: dict) -> dict:
    """Replace each local ``$ref`` into ``$defs`` by the definition; keep only recursive ones."""
    definitions = schema.get("$defs") or {}
    recursive: set[str] = set()

    def resolve(node: Any, trail: frozenset) -> Any:
        if not isinstance(node, dict):
            return node
        node = _children(node, lambda sub: resolve(sub, trail))
        ref = node.get("$ref")
        if not (isinstance(ref, str) and ref.startswith(_DEFS_PREFIX)):
            return node
        name = ref[len(_DEFS_PREFIX):].replace("~1", "/").replace("~0", "~")
        if name not in definitions:
            return node
        if name in trail:  # a model that contains itself cannot be written out in full
            recursive.add(name)
            return node
        target = resolve(definitions[name], trail | {name})
        return {**target, **{key: value for key, value in node.items() if key != "$ref"}}

    body = {key: value for key, value in schema.items() if key != "$defs"}
    result = resolve(body, frozenset())
    kept: dict[str, Any] = {}
    while recursive - set(kept):
        for name in sorted(recursive - set(kept)):
            kept[name] = resolve(definitions[name], frozenset({name}))
    if kept:
        result["$defs"] = dict(sorted(kept.items()))
    return result


_NUMBER_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
                    "default")


_ANNOTATIONS = {"title", "description", "default", "examples", "example", "deprecated",
                "readOnly", "writeOnly"}


def _service_shape(node: dict) -> dict:
    node = _nullable_as_type(_single_all_of(node))
    kinds = node.get("type")
    if kinds == "number" or (isinstance(kinds, list) and "number" in kinds):
        # `Field(gt=0)` on a float publishes 0; marshmallow publishes a Float's bounds as floats,
        # and messages quote them ("Must be greater than 0.0."): publish the same numbers.
        for keyword in _NUMBER_KEYWORDS:
            value = node.get(keyword)
            if type(value) is int:
                node[keyword] = float(value)
    if isinstance(node.get("properties"), dict) and "additionalProperties" not in node:
        node["additionalProperties"] = False
    if isinstance(node.get("required"), list):
        node["required"] = sorted(node["required"])
    if "type" in node:  # pydantic writes keys alphabetically; a reader looks for the type first
        node = {"type": node["type"], **node}
    return node


def _single_all_of(node: dict) -> dict:
    """``{"allOf": [X], "description": ...}`` -> X with the description (older pydantic, 2.7
    for one, wraps a ``$ref`` that has siblings so), when the two share no keyword but
    annotations."""
    wrapped = node.get("allOf")
    if not (isinstance(wrapped, list) and len(wrapped) == 1 and isinstance(wrapped[0], dict)):
        return node
    rest = {key: value for key, value in node.items() if key != "allOf"}
    if set(wrapped[0]) & set(rest) - _ANNOTATIONS:
        return node
    return {**wrapped[0], **rest}


def _nullable_as_type(node: dict) -> dict:
    """``{"anyOf": [X, {"type": "null"}]}`` -> X with ``"null"`` among its types, when X has one."""
    for keyword in ("anyOf", "oneOf"):
        options = node.get(keyword)
        if not (isinstance(options, list) and len(options) == 2 and {"type": "null"} in options):
            continue
        other = options[1 - options.index({"type": "null"})]
        kind = other.get("type") if isinstance(other, dict) else None
        if not isinstance(kind, str) or kind == "null" or any(
                key in other for key in ("$ref", "anyOf", "oneOf", "allOf", "not", "const")):
            continue
        merged = {**other, **{key: value for key, value in node.items() if key != keyword}}
        merged["type"] = [kind, "null"]
        if isinstance(merged.get("enum"), list) and None not in merged["enum"]:
            merged["enum"] = [*merged["enum"], None]
        return merged
    return node


# ------------------------------------------------------------------------------------------------
# Fields


@dataclass(frozen=True)
class FieldFacts:
    """One top-level field of a model: its attribute, its name on the wire, what it holds."""

    attribute: str
    wire: str
    required: bool
    media: MediaField | None


def fields_of(model: type[BaseModel]) -> list[FieldFacts]:
    """The top-level fields of ``model``, in declaration order."""
    facts = []
    for attribute, info in model.model_fields.items():
        alias = info.validation_alias if isinstance(info.validation_alias, str) else info.alias
        found = None
        for candidate in (info.annotation, *info.metadata):
            found = found or _media_type(candidate)
        facts.append(FieldFacts(attribute, alias or attribute, info.is_required(),
                                found.field if found else None))
    return facts


def _media_type(annotation: Any) -> MediaType | None:
    """The ``MediaType`` an annotation is, possibly ``Annotated`` or ``| None``; else None."""
    if isinstance(annotation, MediaType):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        _, *metadata = typing.get_args(annotation)
        return next((item for item in metadata if isinstance(item, MediaType)), None)
    if origin in (typing.Union, types.UnionType):
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return _media_type(members[0]) if len(members) == 1 else None
    return None


# ------------------------------------------------------------------------------------------------
# Loading and dumping


def load(model: type[BaseModel], data: Any) -> tuple[BaseModel | None, dict | None]:
    """Validate request data (already checked against the JSON Schema); return (instance, errors)."""
    try:
        return model.model_validate(data, context=INPUT_CONTEXT), None
    except ValidationError as error:
        return None, error_messages(error)


def as_mapping(value: Any) -> Any:
    """A model's answer as a mapping of its top-level values (a pydantic instance: its fields)."""
    return dict(value) if isinstance(value, BaseModel) else value


def dump(model: type[BaseModel], facts: list[FieldFacts], value: Any) -> tuple[Any, dict | None]:
    """Validate a model's output through ``model`` and serialise it; return (JSON, errors).

    An instance of ``model`` itself was validated when it was made and is dumped as it is; a
    mapping, or an instance of another class, is validated through ``model`` first. Media values
    are encoded field by field here rather than inside ``model_dump``, so an image in the wrong
    format is reported under its field's name.
    """
    try:
        if type(value) is not model:
            if isinstance(value, BaseModel):
                value = value.model_dump(by_alias=True)
            value = model.model_validate(value)
    except ValidationError as error:
        errors = error_messages(error)
        if isinstance(value, dict) and model.model_config.get("extra") != "allow":
            # pydantic ignores stray keys; the service names them, as it does when nothing else
            # is wrong
            names = {name for fact in facts for name in (fact.attribute, fact.wire)}
            for key in value:
                if key not in names:
                    _insert(errors, [key], "Unknown field.")
        return None, errors
    media = {fact.attribute: fact for fact in facts if fact.media is not None}
    dumped = value.model_dump(mode="json", by_alias=True, exclude=set(media) or None)
    if not media:
        return dumped, None
    for attribute, fact in media.items():
        try:
            dumped[fact.wire] = fact.media._serialize(getattr(value, attribute), fact.wire, None)
        except Exception as error:  # marshmallow's ValidationError, naming what is wrong
            return None, {fact.wire: list(getattr(error, "messages", None) or [str(error)])}
    ordered = {fact.wire: dumped[fact.wire] for fact in facts if fact.wire in dumped}
    ordered.update(dumped)  # keys of no field (extra="allow") after the fields
    return ordered, None


# ------------------------------------------------------------------------------------------------
# Messages


def error_messages(error: ValidationError) -> dict:
    """Turn pydantic's errors into the service's ``{field: [messages]}``, nested by location."""
    errors: dict = {}
    for item in error.errors(include_url=False):
        _insert(errors, list(item.get("loc") or ()), _message(item))
    return errors


def _message(item: dict) -> str:
    kind = item.get("type")
    if kind == "missing":
        return "Missing data for required field."
    if kind == "extra_forbidden":
        return "Unknown field."
    context = item.get("ctx") or {}
    if kind in ("value_error", "assertion_error") and "error" in context:
        text = str(context["error"])  # the author's own words, without pydantic's prefix
    else:
        text = str(item.get("msg") or "Invalid value")
    return text if text.endswith((".", "!", "?")) else text + "."


def _insert(errors: dict, path: list, message: str) -> None:
    """Place ``message`` at ``path`` in a nested error dict (``_schema`` for the whole object)."""
    node = errors
    for key in path[:-1]:
        node = node.setdefault(key, {})
        if isinstance(node, list):  # a field that already holds messages keeps them together
            if message not in node:
                node.append(message)
            return
    leaf = node.setdefault(path[-1] if path else "_schema", [])
    if isinstance(leaf, dict):
        leaf = leaf.setdefault("_schema", [])
    if message not in leaf:
        leaf.append(message)
