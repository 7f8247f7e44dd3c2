"""JSON Schema -> form fields, and form data -> a JSON object typed by the schema.

A model's input JSON Schema (the one the API validates with) is read once per page into a tree
of ``SchemaField``: one node per property, with the kind of control that fits it (number,
integer, string, enum, boolean, object, array, or ``json`` for shapes a control cannot express).
The same tree describes fields on the metadata page.

For a request, ``bind`` pairs the tree with what the browser sent (or the defaults) and the
errors of the last submission, giving the concrete inputs, rows and messages that the Jinja
macros in ``templates/_fields.html`` render. ``parse_form`` turns posted form data into the JSON
object the API would have received, typed by the schema, plus a map from each JSON location to
the input it came from so that validation errors land next to the right control.

Input names are the property path joined with ``.`` (``address.city``, ``tags.0``); a ``~`` or
``.`` inside a property name is escaped as ``~0`` / ``~1`` (as in JSON Pointer), so every path
has exactly one name.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping
from urllib.parse import quote

import orjson

from .validation import json_type_name

DEFAULT_ROWS = 3  # blank rows an array offers when JavaScript cannot add more
MAX_DEPTH = 12  # deeper (or recursive) schemas become a JSON text area
MISSING = object()

_STRING_INPUT_TYPES = {"email": "email", "uri": "url", "url": "url", "date": "date"}
_PLACEHOLDERS = {
    "date-time": "2024-01-31T12:00:00Z",
    "time": "12:00:00",
    "uuid": "123e4567-e89b-12d3-a456-426614174000",
    "ipv4": "192.0.2.1",
    "ip": "192.0.2.1",
}
# The number syntax both the server and the page's script accept (ASCII digits only).
_INTEGER_TEXT = re.compile(r"^[+-]?[0-9]+$")
_NUMBER_TEXT = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")
# Regular-expression pieces that mean the same in Python and in a browser's `pattern` attribute.
_PLAIN_CLASS = re.compile(r"\[\^?(?:[A-Za-z0-9_ ]|\\[dDwWsS]|[A-Za-z0-9]-[A-Za-z0-9])+\]")
_PLAIN_PATTERN = re.compile(
    r"^(?:[A-Za-z0-9_ ,:@-]|\\[dDwWsS.+*?()\[\]{}|^$\\/]|[.*+?|()]|\{[0-9]+(?:,[0-9]*)?\}|\(\?:)*$")
_ROW_NUMBER = re.compile(r"^[0-9]{1,6}$")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


# --------------------------------------------------------------------------------------------
# The schema tree


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
            types = [t for t in _types(self.schema) if t != "null"]
            text = " or ".join(types) if types else "any"
        else:
            text = self.kind
        fmt = self.schema.get("format")
        if isinstance(fmt, str) and self.kind == "string":
            text += f" ({fmt})"
        return text + (" or null" if self.nullable else "")

    @property
    def constraints(self) -> list[str]:
        """Every constraint of this field as short phrases, allowed values first."""
        phrases = constraint_phrases(self.schema)
        if self.kind == "enum" or "enum" in self.schema:
            phrases.insert(0, "one of: " + ", ".join(json_text(value) for value in self.enum))
        return phrases + self._item_phrases("constraints")

    @property
    def hints(self) -> list[str]:
        """What someone filling in the field should know (a select already lists the values)."""
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
    def input_type(self) -> str:
        if self.kind in ("number", "integer"):
            return "number"
        return _STRING_INPUT_TYPES.get(self.schema.get("format"), "text")

    @property
    def step(self) -> str:
        if self.kind == "integer":
            return "1"
        multiple = self.schema.get("multipleOf")
        return json_text(multiple) if _is_number(multiple) else "any"

    @property
    def html_min(self) -> str | None:
        return json_text(self.schema["minimum"]) if _is_number(self.schema.get("minimum")) else None

    @property
    def html_max(self) -> str | None:
        return json_text(self.schema["maximum"]) if _is_number(self.schema.get("maximum")) else None

    @property
    def placeholder(self) -> str:
        example = self.schema.get("example", MISSING)
        if example is not MISSING and not isinstance(example, (dict, list)):
            return json_text(example)
        return _PLACEHOLDERS.get(self.schema.get("format"), "")

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
    kind = _kind(schema) if depth < MAX_DEPTH else "json"
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
    return schema, nullable or "null" in _types(schema)


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


def _types(schema: Mapping) -> list[str]:
    value = schema.get("type")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [t for t in value if isinstance(t, str)]
    return []


def _kind(schema: Mapping) -> str:
    if isinstance(schema.get("enum"), list) and schema["enum"] or "const" in schema:
        return "enum"
    types = [t for t in _types(schema) if t != "null"]
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


def constraint_phrases(schema: Mapping) -> list[str]:
    """Describe the range, length, pattern, format and size constraints of one schema."""
    phrases = []
    low, high = schema.get("minimum"), schema.get("maximum")
    xlow, xhigh = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if _is_number(low) and _is_number(high):
        phrases.append(f"from {json_text(low)} to {json_text(high)}")
    else:
        if _is_number(low):
            phrases.append(f"at least {json_text(low)}")
        if _is_number(high):
            phrases.append(f"at most {json_text(high)}")
    if _is_number(xlow):
        phrases.append(f"greater than {json_text(xlow)}")
    if _is_number(xhigh):
        phrases.append(f"less than {json_text(xhigh)}")
    if _is_number(schema.get("multipleOf")):
        phrases.append(f"a multiple of {json_text(schema['multipleOf'])}")
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


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def json_text(value: Any) -> str:
    """Show a JSON value as text: strings as they are, anything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# --------------------------------------------------------------------------------------------
# Names


def child_name(parent: str, key: str | int) -> str:
    """The input name of property ``key`` (or row ``key``) below the input named ``parent``."""
    segment = str(key).replace("~", "~0").replace(".", "~1")
    return f"{parent}.{segment}" if parent else segment


def input_id(name: str) -> str:
    """An HTML id for the input ``name``: unique per name, without spaces."""
    return "f-" + quote(name, safe="")


def _row_indices(name: str, keys: Iterable[str]) -> list[int]:
    """Row numbers of the array ``name`` that appear among posted (or default) input names."""
    prefix = name + "." if name else ""
    found = set()
    for key in keys:
        if key.startswith(prefix):
            head = key[len(prefix):].split(".", 1)[0]
            if _ROW_NUMBER.match(head):
                found.add(int(head))
    return sorted(found)


# --------------------------------------------------------------------------------------------
# Form data -> JSON


@dataclass
class _Posted:
    form: Mapping[str, str]
    keys: list[str]
    defaults: dict[str, str]  # what the untouched form holds
    locations: dict[tuple, str]


def parse_form(tree: SchemaField, form: Mapping[str, str]) -> tuple[dict, dict]:
    """Turn posted form data into a JSON object typed by the schema.

    Returns ``(data, locations)``. ``data`` is what a JSON client would send: blank inputs and
    blank array rows are left out (so defaults and "missing" errors apply exactly as in the
    API), and an optional object is left out unless something in it was changed from the
    untouched form. ``locations`` maps each JSON path (a tuple of strings) to the name of the
    input it came from, so errors are shown next to the control even after blank rows were
    dropped.
    """
    posted = _Posted(form, list(form.keys()), default_values(tree), {})
    data, _ = _parse(tree, "", (), posted)
    return (data if isinstance(data, dict) else {}), posted.locations


def _parse(node: SchemaField, name: str, path: tuple, posted: _Posted) -> tuple[Any, bool]:
    """Return ``(value or MISSING, whether the user changed anything here)``."""
    posted.locations[path] = name
    if node.kind == "object":
        result, changed = {}, False
        for child in node.children:
            value, child_changed = _parse(child, child_name(name, child.key),
                                          path + (child.key,), posted)
            if value is not MISSING:
                result[child.key] = value
            changed = changed or child_changed
        return (result if changed or node.required else MISSING), changed
    if node.kind == "array":
        items, changed = [], False
        for index in _row_indices(name, posted.keys):
            value, row_changed = _parse(node.items, child_name(name, index),
                                        path + (str(len(items)),), posted)
            if value is not MISSING:
                items.append(value)
            changed = changed or row_changed
        return (items if items or node.required else MISSING), changed
    if node.kind == "boolean":
        ticked = name in posted.form
        return ticked, ticked != (name in posted.defaults)
    raw = posted.form.get(name, "")
    changed = raw != posted.defaults.get(name, "")
    return (MISSING if raw == "" else coerce_text(node.kind, raw)), changed


def coerce_text(kind: str, raw: str) -> Any:
    """Read the text of one input as the JSON value its kind expects.

    Text that is not a value of that kind stays a string, so that validation (the API's own)
    reports it with the same message a JSON client would get. ``static/js/predict.js`` reads
    inputs by the same rules.
    """
    if kind in ("number", "integer"):
        text = raw.strip()
        if _INTEGER_TEXT.match(text):
            return int(text)
        if _NUMBER_TEXT.match(text):
            number = float(text)
            return number if math.isfinite(number) else raw
        return raw
    if kind in ("enum", "json"):
        try:
            return orjson.loads(raw)  # strict JSON, as the API reads it: no NaN or Infinity
        except orjson.JSONDecodeError:
            return raw
    return raw


def locate_errors(errors: Any, locations: Mapping[tuple, str]) -> dict[str, list[str]]:
    """Flatten nested field errors into ``{input name: [messages]}``.

    A path with no input of its own (an unknown field, an error about a whole object) is
    reported at its nearest ancestor that has one; the form itself is the name ``""``.
    """
    flat: dict[str, list[str]] = {}

    def visit(node: Any, path: tuple) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                visit(value, path if key == "_schema" else path + (str(key),))
            return
        messages = node if isinstance(node, list) else [node]
        at = path
        while at not in locations:
            at = at[:-1]
        target = locations[at]
        for message in messages:
            if isinstance(message, (dict, list)):
                visit(message, path)
                continue
            text = str(message)
            if at != path:  # shown above the field it is about: say which one
                text = f"{'.'.join(path[len(at):])}: {text}"
            bucket = flat.setdefault(target, [])
            if text not in bucket:
                bucket.append(text)

    visit(errors or {}, ())
    return flat


# --------------------------------------------------------------------------------------------
# Binding the tree to what is shown


@dataclass
class BoundField:
    """One control as rendered: its field, input name and id, current value and messages."""

    field: SchemaField
    name: str
    id: str
    value: str = ""
    checked: bool = False
    default: str = ""  # what the untouched input holds; the script compares against it
    errors: list[str] = field(default_factory=list)
    help_ids: str = ""  # the help text describing this control (a row's is its array's)
    children: list[BoundField] = field(default_factory=list)
    rows: list[BoundField] = field(default_factory=list)
    template: BoundField | None = None  # an array's blank row, with ``placeholder`` as index
    placeholder: str = ""
    next_index: int = 0

    @property
    def options(self) -> list[tuple[str, str]]:
        """``(submitted value, label)`` of each choice of an enum: values are JSON text."""
        return [(json.dumps(value), json_text(value)) for value in self.field.enum]

    @property
    def has_help(self) -> bool:
        return bool(self.field.description or self.field.hints)

    @property
    def help_id(self) -> str:
        return self.id + "-help"

    @property
    def error_id(self) -> str:
        return self.id + "-error"

    @property
    def described_by(self) -> str:
        """``aria-describedby``: the help text, and the (possibly empty) error messages."""
        return f"{self.help_ids} {self.error_id}".lstrip()


def bind(tree: SchemaField, values: Mapping[str, str] | None = None,
         errors: Mapping[str, list[str]] | None = None) -> BoundField:
    """Pair the tree with the values to show and the errors of the last submission.

    ``values`` maps input names to text, as posted (``request.form``); ``None`` means a fresh
    form, which shows the schema's defaults.
    """
    defaults = default_values(tree)
    state = _Binding(defaults if values is None else values, defaults, dict(errors or {}))
    return state.bind(tree, "")


@dataclass
class _Binding:
    values: Mapping[str, str]
    defaults: dict[str, str]
    errors: dict[str, list[str]]
    arrays: int = 0  # numbers the row placeholder of each array, so nested ones differ

    def bind(self, node: SchemaField, name: str, template: bool = False) -> BoundField:
        values = {} if template else self.values
        bound = BoundField(field=node, name=name, id=input_id(name) if name else "f-root",
                           default=self.defaults.get(name, ""),
                           errors=[] if template else self.errors.get(name, []))
        if bound.has_help:
            bound.help_ids = bound.help_id
        if node.kind == "object":
            bound.children = [self.bind(child, child_name(name, child.key), template)
                              for child in node.children]
        elif node.kind == "array":
            indices = _row_indices(name, values.keys())
            wanted = max(len(indices), node.schema.get("minItems") or 0, DEFAULT_ROWS)
            limit = node.schema.get("maxItems")
            if isinstance(limit, int) and not isinstance(limit, bool):
                wanted = min(wanted, max(limit, len(indices)))
            bound.next_index = (indices[-1] + 1) if indices else 0
            while len(indices) < wanted:
                indices.append(bound.next_index)
                bound.next_index += 1
            bound.rows = [self.bind(node.items, child_name(name, index), template)
                          for index in indices]
            self.arrays += 1
            bound.placeholder = f"__row{self.arrays}__"
            bound.template = self.bind(node.items, child_name(name, bound.placeholder), True)
            if node.scalar_items:
                for row in bound.rows + [bound.template]:
                    row.help_ids = bound.help_ids
        elif node.kind == "boolean":
            bound.checked = name in values
        else:
            bound.value = values.get(name, "")
        return bound


def default_values(tree: SchemaField) -> dict[str, str]:
    """The form values that show the schema's defaults (what a fresh form holds)."""
    values: dict[str, str] = {}
    _defaults(tree, "", MISSING, values)
    return values


def _defaults(node: SchemaField, name: str, inherited: Any, values: dict) -> None:
    default = node.default if node.has_default else inherited
    if node.kind == "object":
        for child in node.children:
            below = default.get(child.key, MISSING) if isinstance(default, dict) else MISSING
            _defaults(child, child_name(name, child.key), below, values)
    elif node.kind == "array":
        if isinstance(default, list):
            for index, item in enumerate(default):
                _defaults(node.items, child_name(name, index), item, values)
    elif default is MISSING:
        return
    elif node.kind == "boolean":
        if default is True:
            values[name] = "true"
    elif node.kind in ("enum", "json"):
        values[name] = json.dumps(default)
    elif default is not None:
        values[name] = json_text(default)


# --------------------------------------------------------------------------------------------
# Examples and results


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


def result_rows(value: Any, path: str = "") -> list[tuple[str, str]]:
    """Flatten a prediction into ``(field path, text)`` rows for a table.

    Objects are opened up (``probabilities.setosa``); lists and scalars are shown as JSON
    text (strings as they are). The page's script renders the same rows in the browser.
    """
    if isinstance(value, dict) and value:
        rows = []
        for key, item in value.items():
            rows += result_rows(item, f"{path}.{key}" if path else str(key))
        return rows
    return [(path or "result", json_text(value))]
