"""A model's JSON Schema as a tree of fields: what each input is, and how to describe it.

``build_tree`` reads the input (or output) JSON Schema, the one the API validates with, into one
``SchemaField`` per property, each with the kind of control that fits it (``core.values.
input_kind``). The metadata page describes fields from it; the form (``form_binding`` and
``form_parsing``) is built and read from it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from ..core.values import input_kind, json_text, json_type_name, schema_types
from ..media import describe_json_schema
from .display import js_number

MAX_DEPTH = 12  # deeper (or recursive) schemas become a JSON text area
LONG_STRING = 200  # characters: a string allowed to be longer gets a text area
MISSING = object()

_STRING_INPUT_TYPES = {"email": "email", "uri": "url", "url": "url", "date": "date"}
_PLACEHOLDERS = {
    "date-time": "2024-01-31T12:00:00Z",
    "time": "12:00:00",
    "uuid": "123e4567-e89b-12d3-a456-426614174000",
    "ipv4": "192.0.2.1",
    "ip": "192.0.2.1",
}
# Regular-expression pieces that mean the same in Python and in a browser's `pattern` attribute.
_PLAIN_CLASS = re.compile(r"\[\^?(?:[A-Za-z0-9_ ]|\\[dDwWsS]|[A-Za-z0-9]-[A-Za-z0-9])+\]")
_PLAIN_PATTERN = re.compile(
    r"^(?:[A-Za-z0-9_ ,:@-]|\\[dDwWsS.+*?()\[\]{}|^$\\/]|[.*+?|()]|\{[0-9]+(?:,[0-9]*)?\}|\(\?:)*$")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@dataclass
class SchemaField:
    """One property of a JSON Schema (or the items of an array), normalised for display."""

    key: str | None  # property name; None for the items of an array and for the root
    kind: str
    schema: dict
    required: bool = False
    nullable: bool = False
    children: list[SchemaField] = field(default_factory=list)  # properties of an object
    items: SchemaField | None = None  # the item of an array

    @property
    def label(self) -> str:
        """The schema's title, else the key in words: ``sepal_length`` -> ``Sepal length``."""
        title = self.schema.get("title")
        if isinstance(title, str) and title.strip():
            return title
        if self.key is None:
            return "Item"
        words = _CAMEL.sub(" ", self.key).replace("_", " ").replace("-", " ").split()
        # Lower-case each word, except acronyms and mixed-case words (``HTTPCode``, ``ID``).
        text = " ".join(word if any(c.isupper() for c in word[1:]) else word.lower()
                        for word in words) or self.key
        return text[:1].upper() + text[1:]

    @property
    def description(self) -> str:
        value = self.schema.get("description")
        return value if isinstance(value, str) else ""

    @property
    def has_default(self) -> bool:
        return "default" in self.schema

    @property
    def default(self) -> Any:
        return self.schema.get("default", MISSING)

    @property
    def enum(self) -> list:
        if "enum" in self.schema and isinstance(self.schema["enum"], list):
            return self.schema["enum"]
        if "const" in self.schema:
            return [self.schema["const"]]
        return [True, False] if self.kind == "enum" else []

    @property
    def type_label(self) -> str:
        """A short type for people: ``integer``, ``string (email)``, ``array of number``."""
        if self.kind == "array" and self.items is not None:
            text = f"array of {self.items.type_label}"
        elif self.kind == "enum":
            types = sorted({json_type_name(value) or "object" for value in self.enum})
            text = " or ".join(types) if types else "any"
        elif self.kind == "json":
            types = [t for t in schema_types(self.schema) if t != "null"]
            text = " or ".join(types) if types else "any"
        elif self.kind == "media":
            text = describe_json_schema(self.schema) or "file"
        else:
            text = self.kind
        fmt = self.schema.get("format")
        if isinstance(fmt, str) and self.kind == "string":
            text += f" ({fmt})"
        text += " or null" if self.nullable else ""
        return text + (f", in {self.unit}" if self.unit else "")

    @property
    def constraints(self) -> list[str]:
        """Every constraint of this field as short phrases, allowed values first."""
        if self.kind == "media":  # its kinds and size, not the length of its base64 text
            return [describe_json_schema(self.schema) or "a file"]
        phrases = constraint_phrases(self.schema)
        if self.kind == "enum" or "enum" in self.schema:
            phrases.insert(0, "one of: " + ", ".join(json_text(value) for value in self.enum))
        return phrases + self._item_phrases("constraints")

    @property
    def hints(self) -> list[str]:
        """What someone filling in the field should know (a select already lists the values)."""
        if self.kind == "media":
            return [describe_json_schema(self.schema) or "a file"]
        phrases = constraint_phrases(self.schema) + self._item_phrases("hints")
        return phrases + ["written as JSON"] if self.kind == "json" else phrases

    @property
    def scalar_items(self) -> bool:
        """Whether this is an array whose rows are single inputs (not objects or arrays)."""
        return self.kind == "array" and self.items.kind not in ("object", "array")

    def _item_phrases(self, which: str) -> list[str]:
        # The items of a list of inputs get no table row or help text of their own.
        if not self.scalar_items:
            return []
        return [f"each item: {phrase}" for phrase in getattr(self.items, which)]

    # Form controls

    @property
    def control(self) -> str:
        """The control that edits this field: ``select``, ``textarea``, ``checkbox`` or ``input``.

        Long strings (``maxLength`` over ``LONG_STRING``, or marked ``x-multiline``) get a
        text area, so that line breaks can be typed and survive.
        """
        if self.kind == "enum":
            return "select"
        if self.kind == "boolean":
            return "checkbox"
        if self.kind == "media":
            return "file"
        if self.kind == "json" or self.multiline:
            return "textarea"
        return "input"

    @property
    def multiline(self) -> bool:
        if self.kind != "string":
            return False
        marked = self.schema.get("x-multiline")
        if marked is True or marked is False:
            return marked
        limit = self.schema.get("maxLength")
        return isinstance(limit, int) and not isinstance(limit, bool) and limit > LONG_STRING

    @property
    def unit(self) -> str:
        unit = self.schema.get("x-unit")
        return unit if isinstance(unit, str) else ""

    @property
    def accept(self) -> str:
        """The media types a file input offers to choose (``image/png,image/jpeg``)."""
        types = self.schema.get("x-mediaTypes")
        return ",".join(types) if isinstance(types, list) else ""

    @property
    def is_image(self) -> bool:
        return "x-formats" in self.schema

    def data_uri(self, value: str) -> str:
        """A media value as a ``data:`` URI (a preview's ``src``), whether or not it is one."""
        if not value or value[:5].lower() == "data:":
            return value
        return f"data:{self.schema.get('contentMediaType', 'application/octet-stream')};base64,{value}"

    @property
    def input_type(self) -> str:
        # Numbers are typed into text inputs: a browser sends "" for what an
        # <input type="number"> cannot read ("1e"), which would then be reported as missing
        # instead of "not a number". ``inputmode`` still brings up a numeric keypad.
        if self.kind in ("number", "integer"):
            return "text"
        return _STRING_INPUT_TYPES.get(self.schema.get("format"), "text")

    @property
    def inputmode(self) -> str | None:
        """The keypad a phone shows: digits only when no sign or point can be needed."""
        if self.kind not in ("number", "integer"):
            return None
        low = self.schema.get("minimum", self.schema.get("exclusiveMinimum"))
        if not (_is_number(low) and low >= 0):
            return "text"  # a minus sign: phones' numeric keypads often have none
        return "numeric" if self.kind == "integer" else "decimal"

    @property
    def placeholder(self) -> str:
        """An example written so that it cannot be taken for a value: ``e.g. 5.1``."""
        example = self.schema.get("example", MISSING)
        if example is not MISSING and not isinstance(example, (dict, list)):
            return f"e.g. {json_text(example)}"
        known = _PLACEHOLDERS.get(self.schema.get("format"))
        return f"e.g. {known}" if known else ""

    @property
    def html_pattern(self) -> str | None:
        """The pattern as an HTML ``pattern`` attribute, when it means the same there.

        JSON Schema patterns search anywhere in the string while HTML patterns must match all of
        it, so only a pattern anchored at both ends carries over; and browsers compile it as a
        JavaScript ``v``-flag regular expression, stricter than Python's, so only patterns made
        of plain pieces (literals, ``\\d``-style escapes, simple classes and ranges, quantifiers,
        groups) are given: any other would be a console error, not a check.
        """
        pattern = self.schema.get("pattern")
        if not (isinstance(pattern, str) and len(pattern) > 2 and pattern.startswith("^")
                and pattern.endswith("$") and not pattern.endswith("\\$")):
            return None
        inner = pattern[1:-1]
        return inner if _PLAIN_PATTERN.match(_PLAIN_CLASS.sub("x", inner)) else None

    def walk(self, path: str = "", depth: int = 0) -> Iterable[tuple[str, int, SchemaField]]:
        """Yield ``(path, depth, field)`` for every field below this one, parents first.

        Paths read like ``address.city``; the fields of array items like ``orders[].sku``.
        """
        if self.kind == "object":
            for child in self.children:
                child_path = f"{path}.{child.key}" if path else child.key
                yield child_path, depth, child
                yield from child.walk(child_path, depth + 1)
        elif self.kind == "array" and self.items is not None:
            yield from self.items.walk(f"{path}[]", depth)


def build_tree(schema: Mapping) -> SchemaField:
    """Read a JSON Schema (an object schema at the top) into a ``SchemaField`` tree."""
    return _build(None, dict(schema), schema, required=True, depth=0)


def _build(key: str | None, schema: dict, root: Mapping, required: bool, depth: int) -> SchemaField:
    schema, nullable = _normalise(schema, root)
    kind = input_kind(schema) if depth < MAX_DEPTH else "json"
    node = SchemaField(key=key, kind=kind, schema=schema, required=required, nullable=nullable)
    if kind == "object":
        needed = set(schema.get("required") or ())
        node.children = [
            _build(name, sub if isinstance(sub, dict) else {}, root, name in needed, depth + 1)
            for name, sub in schema["properties"].items()
            if not (isinstance(sub, dict) and sub.get("readOnly"))  # output-only: not an input
        ]
    elif kind == "array":
        node.items = _build(None, schema["items"], root, required=False, depth=depth + 1)
        if node.items.kind == "boolean":
            # An unticked checkbox sends nothing, so a list of them cannot hold `false`.
            node.items.kind = "enum"
    return node


def _normalise(schema: dict, root: Mapping) -> tuple[dict, bool]:
    """Resolve local ``$ref``, a single ``allOf`` and ``X or null``; say whether null is allowed."""
    nullable = False
    for _ in range(MAX_DEPTH):
        step = _unwrap(schema, root)
        if step is None:
            break
        schema, allows_null = step
        nullable = nullable or allows_null
    return schema, nullable or "null" in schema_types(schema)


def _unwrap(schema: dict, root: Mapping) -> tuple[dict, bool] | None:
    """Take one wrapper off ``schema``, or return None when there is none left."""

    def rest(keyword: str) -> dict:
        return {key: value for key, value in schema.items() if key != keyword}

    ref = schema.get("$ref")
    if isinstance(ref, str):
        target = _resolve_pointer(root, ref)
        return None if target is None else ({**target, **rest("$ref")}, False)
    all_of = schema.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
        return {**all_of[0], **rest("allOf")}, False
    for keyword in ("anyOf", "oneOf"):
        options = schema.get(keyword)
        if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
            other = options[1 - options.index({"type": "null"})]
            if isinstance(other, dict):
                return {**other, **rest(keyword)}, True
    return None


def _resolve_pointer(root: Mapping, ref: str) -> dict | None:
    if not ref.startswith("#"):
        return None
    node: Any = root
    for part in ref[1:].split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return dict(node) if isinstance(node, Mapping) else None


def constraint_phrases(schema: Mapping) -> list[str]:
    """Describe the range, length, pattern, format and size constraints of one schema."""
    phrases = []
    low, high = schema.get("minimum"), schema.get("maximum")
    xlow, xhigh = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if _is_number(low) and _is_number(high):
        phrases.append(f"from {_number(low)} to {_number(high)}")
    else:
        if _is_number(low):
            phrases.append(f"at least {_number(low)}")
        if _is_number(high):
            phrases.append(f"at most {_number(high)}")
    if _is_number(xlow):
        phrases.append(f"greater than {_number(xlow)}")
    if _is_number(xhigh):
        phrases.append(f"less than {_number(xhigh)}")
    if _is_number(schema.get("multipleOf")):
        phrases.append(f"a multiple of {_number(schema['multipleOf'])}")
    phrases += _size_phrases(schema.get("minLength"), schema.get("maxLength"), "character")
    phrases += _size_phrases(schema.get("minItems"), schema.get("maxItems"), "item")
    if schema.get("uniqueItems") is True:
        phrases.append("no repeated items")
    if isinstance(schema.get("pattern"), str):
        phrases.append(f"matches the pattern {schema['pattern']}")
    if isinstance(schema.get("format"), str):
        phrases.append(f"format: {schema['format']}")
    return phrases


def _size_phrases(low: Any, high: Any, unit: str) -> list[str]:
    low = low if isinstance(low, int) and not isinstance(low, bool) else None
    high = high if isinstance(high, int) and not isinstance(high, bool) else None
    if low is not None and high is not None:
        if low == high:
            return [f"exactly {low} {unit}{'s' if low != 1 else ''}"]
        return [f"{low} to {high} {unit}s"]
    if low:
        return [f"at least {low} {unit}{'s' if low != 1 else ''}"]
    if high is not None:
        return [f"at most {high} {unit}{'s' if high != 1 else ''}"]
    return []


def _number(value: int | float) -> str:
    # Exact, written as the pages write numbers: a limit of 20.0 is "20", 1e-05 is "0.00001".
    return js_number(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def example_value(node: SchemaField) -> Any:
    """A plausible value for ``node``, for the ``curl`` example: examples, defaults, bounds."""
    schema = node.schema
    for keyword in ("example", "default"):
        if keyword in schema:
            return schema[keyword]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    if node.kind == "enum":
        return node.enum[0]
    if node.kind == "object":
        return {child.key: example_value(child) for child in node.children if child.required}
    if node.kind == "array":
        count = max(schema.get("minItems") or 0, 1)
        return [example_value(node.items) for _ in range(count)]
    if node.kind == "boolean":
        return False
    if node.kind in ("number", "integer"):
        return _example_number(node)
    if node.kind == "string":
        return _example_string(schema)
    return None if node.nullable else {}


def _example_number(node: SchemaField) -> int | float:
    schema = node.schema
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if _is_number(low) and _is_number(high):
        value = (low + high) / 2
    elif _is_number(low):
        value = low + 1
    elif _is_number(high):
        value = high - 1
    else:
        value = 1
    return int(value) if node.kind == "integer" or float(value).is_integer() else value


def _example_string(schema: Mapping) -> str:
    by_format = {"email": "user@example.com", "uri": "https://example.com/",
                 "url": "https://example.com/", "date": "2024-01-31"}
    value = by_format.get(schema.get("format")) or _PLACEHOLDERS.get(schema.get("format"))
    if not value:
        value = "text"
        low = schema.get("minLength") or 0
        if len(value) < low:
            value = value + "x" * (low - len(value))
        high = schema.get("maxLength")
        if isinstance(high, int) and len(value) > high:
            value = value[:high]
    return value
