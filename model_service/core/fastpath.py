"""Marshmallow's load and dump for *plain* schemas, without marshmallow's per-field machinery.

A schema is plain when every field is a ``Float``, ``Integer``, ``String``, ``Boolean`` or a
``Nested`` plain schema, with no defaults, hooks, renamed keys, load-/dump-only fields, string
formatting or validators other than ``Range``, ``Length`` and ``OneOf`` (which the published JSON
Schema expresses exactly). For data that the JSON Schema accepts, marshmallow's load then does
nothing but cast numbers (an integer in a ``Float`` field becomes a float, a whole float in an
``Integer`` field an integer), and its dump nothing but cast each value to its field's type. A
``Plan`` does exactly that, several times faster, and checks a whole batch column by column
(one ``min``/``max``/``set`` per field instead of one schema walk per item).

Anything a plan is not sure about (a non-plain schema, a value that needs casting in a batch, a
non-finite float) makes it answer "don't know", and the caller takes the marshmallow path.
"""
from __future__ import annotations

import operator
from typing import Any

from marshmallow import RAISE, Schema, fields, validate

_KINDS = {
    fields.Float: "number",
    fields.Integer: "integer",
    fields.String: "string",
    fields.Boolean: "boolean",
}
# The exact Python type each kind has after load/dump, so a batch of such values needs no cast.
_EXACT_TYPES = {"number": float, "integer": int, "string": str, "boolean": bool}
_NONE = type(None)


class Fallback(Exception):
    """The plan cannot reproduce marshmallow for this value: use marshmallow."""


class FieldPlan:
    __slots__ = ("name", "getter", "kind", "field", "required", "nullable", "nested", "ranges",
                 "lengths", "enums")

    def __init__(self, name: str, kind: str, field: fields.Field, nested: "Plan | None") -> None:
        self.name, self.kind, self.field, self.nested = name, kind, field, nested
        self.getter = operator.itemgetter(name)
        self.required = bool(field.required)
        self.nullable = bool(field.allow_none)
        self.ranges: list[validate.Range] = []
        self.lengths: list[validate.Length] = []
        self.enums: list[frozenset] = []

    def load(self, value: Any) -> Any:
        if value is None:
            return None
        kind = self.kind
        if kind == "number":
            value = value if type(value) is float else float(value)
            if value - value != 0:  # NaN or infinity: marshmallow rejects it, with its message
                raise Fallback
            return value
        if kind == "integer":
            return value if type(value) is int else int(value)
        if kind == "object":
            return self.nested.load(value)
        return value

    def dump(self, value: Any, result: Any) -> Any:
        if value is None:
            return None
        if self.kind == "object":
            if type(value) is not dict:
                raise Fallback
            return self.nested.dump(value)
        return self.field._serialize(value, self.name, result)

    def column_conforms(self, values: list) -> bool:
        """Tell whether every value has its exact type and passes every constraint."""
        types = set(map(type, values))
        if self.nullable and _NONE in types:
            types.discard(_NONE)
            values = [value for value in values if value is not None]
        if not values:
            return True
        if self.kind == "object":
            return types == {dict} and self.nested.conforms(values)
        if types != {_EXACT_TYPES[self.kind]}:
            return False
        if self.kind == "number":
            total = sum(values)
            if total - total != 0:  # NaN or infinity somewhere (or an overflowing sum)
                return False
        if self.ranges:
            low, high = min(values), max(values)
            for rule in self.ranges:
                if (rule.min is not None and low < rule.min) or (rule.max is not None and high > rule.max):
                    return False
        if self.lengths:
            sizes = list(map(len, values))
            shortest, longest = min(sizes), max(sizes)
            for rule in self.lengths:
                low = rule.equal if rule.equal is not None else rule.min
                high = rule.equal if rule.equal is not None else rule.max
                if (low is not None and shortest < low) or (high is not None and longest > high):
                    return False
        if self.enums:
            present = set(values)
            if not all(present <= allowed for allowed in self.enums):
                return False
        return True


class Plan:
    """Load, dump and batch-check for one plain schema (see the module docstring)."""

    def __init__(self, field_plans: list[FieldPlan]) -> None:
        self.fields = field_plans
        self.names = frozenset(plan.name for plan in field_plans)
        self.required = frozenset(plan.name for plan in field_plans if plan.required)

    def load(self, data: dict) -> dict:
        """Deserialize data that already passed the JSON Schema, as marshmallow would."""
        return {plan.name: plan.load(data[plan.name]) for plan in self.fields if plan.name in data}

    def dump(self, result: dict) -> dict:
        """Serialise a model's output dict as marshmallow would (values cast, unknown keys dropped)."""
        return {plan.name: plan.dump(result[plan.name], result)
                for plan in self.fields if plan.name in result}

    def conforms(self, items: list) -> bool:
        """Tell whether every item is a dict matching the schema whose load and dump are itself.

        True means: the JSON Schema accepts every item, and marshmallow's load and dump of each
        item equal the item. False means "not sure"; the caller checks item by item.
        """
        if set(map(type, items)) != {dict}:
            return False
        for shape in set(map(tuple, items)):
            keys = set(shape)
            if not (self.required <= keys <= self.names):
                return False
        for plan in self.fields:
            name = plan.name
            if plan.required:
                column = list(map(plan.getter, items))
            else:
                column = [item[name] for item in items if name in item]
            if not plan.column_conforms(column):
                return False
        return True


def compile_plan(schema: Schema) -> Plan | None:
    """Return a ``Plan`` for a plain schema instance, or None when marshmallow must do the work."""
    if schema._hooks and any(schema._hooks.values()):
        return None
    if schema.unknown != RAISE or schema.many or schema.partial:
        return None
    if set(schema.load_fields) != set(schema.fields) or set(schema.dump_fields) != set(schema.fields):
        return None
    plans = []
    for name, field in schema.fields.items():
        plan = _field_plan(name, field)
        if plan is None:
            return None
        plans.append(plan)
    return Plan(plans)


def _field_plan(name: str, field: fields.Field) -> FieldPlan | None:
    if field.data_key not in (None, name) or field.attribute not in (None, name):
        return None
    if field.load_only or field.dump_only:
        return None
    if field.load_default is not fields.missing_ or field.dump_default is not fields.missing_:
        return None
    nested = None
    if type(field) is fields.Nested:
        if field.many or field.only or field.exclude or field.unknown not in (None, RAISE):
            return None
        try:
            nested_schema = field.schema
        except Exception:
            return None
        nested = compile_plan(nested_schema)
        if nested is None:
            return None
        kind = "object"
    else:
        kind = _KINDS.get(type(field))
        if kind is None:
            return None
        if getattr(field, "as_string", False) or getattr(field, "strict", False):
            return None
        if kind == "boolean" and (field.truthy or field.falsy):
            # Custom truthy/falsy sets change what dump produces; keep marshmallow for them.
            if field.truthy != fields.Boolean.truthy or field.falsy != fields.Boolean.falsy:
                return None
    plan = FieldPlan(name, kind, field, nested)
    for validator in field.validators:
        if type(validator) is validate.Range and kind in ("number", "integer"):
            if not (validator.min_inclusive and validator.max_inclusive):
                return None  # the JSON Schema converter ignores exclusivity; marshmallow does not
            plan.ranges.append(validator)
        elif type(validator) is validate.Length and kind == "string":
            plan.lengths.append(validator)
        elif type(validator) is validate.OneOf and kind in ("string", "integer"):
            try:
                plan.enums.append(frozenset(validator.choices))
            except TypeError:
                return None
        else:
            return None
    return plan
