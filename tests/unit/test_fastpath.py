"""The compiled fast path must give exactly what marshmallow gives, or step aside."""
import math
import random

import numpy as np
import pytest
from marshmallow import Schema, fields, post_load, validate

from fixture_models.echo_model import EchoInput, EchoOutput
from fixture_models.rich_model import RichInput
from iris_model.model import IrisInput, IrisOutput
from model_service.core.fastpath import compile_plan
from model_service.core.validation import SchemaValidator


def _slow(schema_class):
    validator = SchemaValidator(schema_class)
    validator.plan = None  # marshmallow all the way: the reference
    return validator


class TaggedInput(Schema):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=5)])
    kind = fields.String(validate=validate.OneOf(["a", "b"]))
    count = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=10))
    ok = fields.Boolean()


class HookedInput(Schema):
    value = fields.Float(required=True)

    @post_load
    def double(self, data, **kwargs):
        return {"value": data["value"] * 2}


def test_plain_schemas_get_a_plan_and_others_keep_marshmallow():
    assert compile_plan(IrisInput()) is not None
    assert compile_plan(IrisOutput()) is not None
    assert compile_plan(TaggedInput()) is not None
    assert compile_plan(EchoOutput()) is not None
    assert compile_plan(EchoInput()) is None  # a load_default
    assert compile_plan(RichInput()) is None  # defaults, lists
    assert compile_plan(HookedInput()) is None  # a post_load hook
    assert compile_plan(Schema.from_dict({"x": fields.Float(data_key="X")})()) is None
    assert compile_plan(Schema.from_dict({"x": fields.Integer(strict=True)})()) is None
    assert compile_plan(Schema.from_dict({"x": fields.Float(validate=lambda v: v > 1)})()) is None


IRIS_VALUES = [5.1, 0.0, 20.0, 20.5, -0.1, 3, 0, 7, True, None, "3.5", 1e308, math.nan, math.inf,
               10**400, [], {}]
TAGGED_VALUES = {
    "name": ["x", "", "abcde", "abcdef", 3, None],
    "kind": ["a", "b", "c", None, 1],
    "count": [0, 9, 10, -1, 5.0, 5.5, None, "1", True],
    "ok": [True, False, 0, None, "yes"],
}


def _random_items(rng, value_sets, count):
    items = []
    for _ in range(count):
        item = {}
        for name, values in value_sets.items():
            if rng.random() < 0.9:
                item[name] = rng.choice(values)
        if rng.random() < 0.05:
            item["unknown"] = 1
        items.append(item)
    return items


@pytest.mark.parametrize("schema_class, value_sets", [
    (IrisInput, {name: IRIS_VALUES for name in IrisInput().fields}),
    (TaggedInput, TAGGED_VALUES),
])
def test_fast_load_equals_marshmallow_load(schema_class, value_sets):
    rng = random.Random(7)
    fast, slow = SchemaValidator(schema_class), _slow(schema_class)
    for item in _random_items(rng, value_sets, 3000):
        loaded, errors = fast.load(item)
        expected, expected_errors = slow.load(item)
        assert (loaded, errors) == (expected, expected_errors), item
        assert [type(v) for v in (loaded or {}).values()] == [type(v) for v in (expected or {}).values()]


@pytest.mark.parametrize("schema_class, value_sets", [
    (IrisInput, {name: IRIS_VALUES for name in IrisInput().fields}),
    (TaggedInput, TAGGED_VALUES),
])
def test_a_batch_is_unchanged_only_when_every_item_loads_to_itself(schema_class, value_sets):
    rng = random.Random(11)
    fast, slow = SchemaValidator(schema_class), _slow(schema_class)
    for size in (1, 2, 5, 50):
        for _ in range(300):
            items = _random_items(rng, value_sets, size)
            if fast.load_many_unchanged(items):
                for item in items:
                    assert slow.load(item) == (item, None), item


def test_a_valid_batch_of_floats_is_recognised_whole():
    rows = [{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}] * 100
    validator = SchemaValidator(IrisInput)
    assert validator.load_many_unchanged(rows)
    assert not validator.load_many_unchanged(rows + [{**rows[0], "petal_width": 20.5}])
    assert not validator.load_many_unchanged(rows + [{**rows[0], "petal_width": math.nan}])
    assert not validator.load_many_unchanged(rows + [{**rows[0], "extra": 1}])
    assert not validator.load_many_unchanged(rows + [{"sepal_length": 5.1}])
    assert not validator.load_many_unchanged(rows + [[1, 2, 3, 4]])


def _outputs(rng, count):
    species = ["setosa", "versicolor", "virginica", "daisy", 3, None]
    probabilities = [0.2, 1, 0, 1.5, -0.1, np.float64(0.3), np.float32(0.5), "0.5", None, math.nan]
    outputs = []
    for _ in range(count):
        output = {}
        if rng.random() < 0.95:
            output["species"] = rng.choice(species)
        if rng.random() < 0.95:
            inner = {name: rng.choice(probabilities)
                     for name in ("setosa", "versicolor", "virginica") if rng.random() < 0.95}
            output["probabilities"] = inner if rng.random() < 0.95 else rng.choice([None, "x", 3])
        if rng.random() < 0.03:
            output["extra"] = 1
        outputs.append(output)
    return outputs


def test_fast_dump_equals_marshmallow_dump():
    rng = random.Random(3)
    fast, slow = SchemaValidator(IrisOutput), _slow(IrisOutput)
    for output in _outputs(rng, 3000):
        dumped, errors = fast.dump_checked(output)
        expected, expected_errors = slow.dump_checked(output)
        assert errors == expected_errors, output
        if not errors:
            assert dumped == expected
        if fast.dump_many_unchanged([output]):
            assert expected_errors is None and expected == output


def test_exclusive_ranges_keep_marshmallow():
    schema = Schema.from_dict({"x": fields.Integer(validate=validate.Range(max=10, max_inclusive=False))})
    assert compile_plan(schema()) is None
