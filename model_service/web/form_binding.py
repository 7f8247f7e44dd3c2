"""Pair a schema tree with what is shown: values, defaults, rows and the last errors.

``bind`` gives the concrete inputs, rows and messages that the Jinja macros in
``templates/_fields.html`` render, from the values the browser sent (or the defaults) and the
errors of the last submission.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..core.values import json_text
from .form_names import child_name, input_id, row_indices
from .schema_view import MISSING, SchemaField

DEFAULT_ROWS = 3  # blank rows an array offers when JavaScript cannot add more


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
    def unit_id(self) -> str:
        return self.id + "-unit"

    @property
    def described_by(self) -> str:
        """``aria-describedby``: the unit, the help text, and the (possibly empty) errors."""
        unit = self.unit_id + " " if self.field.unit else ""
        return f"{unit}{self.help_ids} {self.error_id}".lstrip()


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
            indices = row_indices(name, values.keys())
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
    return form_values(tree)


def form_values(tree: SchemaField, data: Any = MISSING) -> dict[str, str]:
    """The form values that show ``data`` (a JSON object, such as a model's example).

    What ``data`` leaves out shows the schema's default, as a fresh form does; the values are
    the text a person would type, so posting them sends ``data`` back (``parse_form``).
    """
    values: dict[str, str] = {}
    _fill(tree, "", data, MISSING, values)
    return values


def _fill(node: SchemaField, name: str, given: Any, inherited: Any, values: dict) -> None:
    default = node.default if node.has_default else inherited
    value = default if given is MISSING else given
    if node.kind == "object":
        for child in node.children:
            below = given.get(child.key, MISSING) if isinstance(given, dict) else MISSING
            below_default = default.get(child.key, MISSING) if isinstance(default, dict) else MISSING
            _fill(child, child_name(name, child.key), below, below_default, values)
    elif node.kind == "array":
        if isinstance(value, list):
            for index, item in enumerate(value):
                _fill(node.items, child_name(name, index), item, MISSING, values)
    elif value is MISSING:
        return
    elif node.kind == "boolean":
        if value is True:
            values[name] = "true"
    elif node.kind in ("enum", "json"):
        values[name] = json.dumps(value)
    elif value is not None:
        values[name] = json_text(value)
