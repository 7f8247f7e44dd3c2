import math

import pytest

from fixture_models.echo_model import EchoInput
from fixture_models.rich_model import RichInput
from iris_model import IrisInput
from model_service.core.validation import SchemaValidator

VALID_RICH = {"age": 30, "plan": "plus", "address": {"city": "Lyon"}}


@pytest.fixture(scope="module")
def iris():
    return SchemaValidator(IrisInput)


@pytest.fixture(scope="module")
def rich():
    return SchemaValidator(RichInput)


def test_valid_input_loads(iris):
    data, errors = iris.load({"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0})
    assert errors is None and data["petal_width"] == 0


def test_numeric_string_is_not_coerced_to_a_number(iris):
    _, errors = iris.load({"sepal_length": "5.1", "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2})
    assert errors == {"sepal_length": ["Not a valid value: expected a number, got a string."]}


def test_fraction_is_not_truncated_to_an_integer():
    _, errors = SchemaValidator(EchoInput).load({"value": 1.5})
    assert errors == {"value": ["Not a valid value: expected an integer, got a number."]}


def test_boolean_is_not_a_number(iris):
    _, errors = iris.load({"sepal_length": True, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2})
    assert "sepal_length" in errors


def test_missing_unknown_and_out_of_range_fields_are_all_reported(iris):
    _, errors = iris.load({"sepal_length": 50, "sepal_width": 3.5, "petal_length": 1.4, "colour": "blue"})
    assert errors == {
        "sepal_length": ["Must be less than or equal to 20.0."],
        "petal_width": ["Missing data for required field."],
        "colour": ["Unknown field."],
    }


def test_nan_and_infinity_are_rejected_even_if_parsed(iris):
    for bad in (math.nan, math.inf, -math.inf):
        _, errors = iris.load({"sepal_length": bad, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2})
        assert errors and "sepal_length" in errors


def test_nested_errors_are_nested(rich):
    _, errors = rich.load({**VALID_RICH, "address": {"city": "", "postcode": "abc", "x": 1}})
    assert set(errors["address"]) == {"city", "postcode", "x"}


def test_defaults_are_filled_in_by_marshmallow(rich):
    data, errors = rich.load(VALID_RICH)
    assert errors is None
    assert data["newsletter"] is False and data["score"] == 0.5


def test_enum_and_array_item_errors_name_the_path(rich):
    _, errors = rich.load({**VALID_RICH, "plan": "gold", "tags": ["ok", 7]})
    assert errors["plan"] == ["Must be one of: basic, plus, premium."]
    assert errors["tags"] == {1: ["Not a valid value: expected a string, got an integer."]}


def test_exclusive_range_bounds_are_published_and_enforced_as_exclusive():
    from marshmallow import Schema, fields, validate

    class Exclusive(Schema):
        rate = fields.Float(required=True, validate=validate.Range(min=0, max=1, min_inclusive=False,
                                                                    max_inclusive=False))
        count = fields.Integer(validate=validate.Range(min=1, min_inclusive=True))

    validator = SchemaValidator(Exclusive)
    rate = validator.json_schema["properties"]["rate"]
    assert rate["exclusiveMinimum"] == 0 and rate["exclusiveMaximum"] == 1
    assert "minimum" not in rate and "maximum" not in rate
    assert validator.json_schema["properties"]["count"]["minimum"] == 1
    for bound in (0, 1):
        _, errors = validator.load({"rate": bound})
        assert errors["rate"] == [f"Must be {'greater' if bound == 0 else 'less'} than {float(bound)}."]
    assert validator.load({"rate": 0.5})[1] is None
