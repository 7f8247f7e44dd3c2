"""pydantic schemas: the same contract as marshmallow ones, published, checked and dumped alike."""
from __future__ import annotations

import enum
from typing import Literal, Optional

import pytest
from jsonschema import Draft202012Validator
from pydantic import BaseModel, ConfigDict, Field, RootModel, model_validator

from fixture_models.pydantic_iris_model import IrisMeasurements, IrisPrediction
from fixture_models.twin_schemas import EXAMPLE, Profile, ProfileSchema, Summary, SummarySchema
from iris_model import IrisInput, IrisOutput
from model_service.core.schema import (MarshmallowAdapter, PydanticAdapter, adapter_for,
                                       is_schema_class)
from model_service.core.validation import SchemaValidator

# Inputs that break the profile schema in every way the JSON Schema check and the library's own
# validators can tell: both ways of writing the schema must answer each with the same errors.
BAD_PROFILES = [
    {},
    {"age": "42", "plan": "plus", "address": {"city": "Lyon"}},  # "42" is not an integer
    {"age": 42.5, "plan": "plus", "address": {"city": "Lyon"}},
    {"age": 17, "plan": "gold", "address": {"city": ""}},
    {"age": 42, "plan": "plus", "address": {"city": "Lyon", "street": "x"}, "extra": 1},
    {"age": 42, "plan": "plus", "address": {"city": "Lyon", "postcode": "6900"}},
    {"age": 42, "plan": "plus", "address": None},
    {"age": 42, "plan": "plus", "address": {"city": "Lyon"}, "tags": ["x" * 21, 3]},
    {"age": 42, "plan": "plus", "address": {"city": "Lyon"}, "tags": list("abcdef")},
    {"age": 42, "plan": "plus", "address": {"city": "Lyon"}, "score": 0},
    {"age": 42, "plan": "plus", "address": {"city": "Lyon"}, "newsletter": "yes"},
    {"age": 99, "plan": "plus", "address": {"city": "Lyon"}},  # the libraries' own validators
    [],
]


def validators(*schemas):
    return [SchemaValidator(schema) for schema in schemas]


def test_pydantic_models_are_schema_classes_with_their_own_adapter():
    assert is_schema_class(Profile) and is_schema_class(ProfileSchema)
    assert isinstance(adapter_for(Profile), PydanticAdapter)
    assert isinstance(adapter_for(ProfileSchema), MarshmallowAdapter)
    assert not is_schema_class(BaseModel) and not is_schema_class(Profile(**EXAMPLE))


def test_a_root_model_is_not_a_schema_class_because_inputs_are_objects_of_fields():
    assert not is_schema_class(RootModel[list[int]])


def test_the_same_schema_written_in_both_libraries_publishes_the_same_json_schema():
    marshmallow, pydantic = validators(ProfileSchema, Profile)
    assert pydantic.json_schema == marshmallow.json_schema
    output_m, output_p = validators(SummarySchema, Summary)
    assert output_p.json_schema == output_m.json_schema


def test_a_model_docstring_is_the_one_difference_it_becomes_the_description():
    marshmallow, pydantic = validators(IrisInput, IrisMeasurements)
    published = dict(pydantic.json_schema)
    assert published.pop("description") == IrisMeasurements.__doc__
    assert published == marshmallow.json_schema
    assert SchemaValidator(IrisPrediction).json_schema == SchemaValidator(IrisOutput).json_schema


@pytest.mark.parametrize("payload", BAD_PROFILES, ids=range(len(BAD_PROFILES)))
def test_both_libraries_refuse_the_same_input_with_the_same_field_messages(payload):
    marshmallow, pydantic = validators(ProfileSchema, Profile)
    errors_m = marshmallow.load(payload)[1] if isinstance(payload, dict) else marshmallow.errors(payload)
    errors_p = pydantic.load(payload)[1] if isinstance(payload, dict) else pydantic.errors(payload)
    assert errors_m and errors_p == errors_m


def test_a_string_of_digits_is_not_an_integer_although_pydantic_alone_would_take_it():
    assert Profile(age="42", plan="plus", address={"city": "Lyon"}).age == 42  # lax pydantic
    _, errors = SchemaValidator(Profile).load({"age": "42", "plan": "plus",
                                               "address": {"city": "Lyon"}})
    assert errors == {"age": ["Not a valid value: expected an integer, got a string."]}


def test_unknown_fields_are_refused_at_every_level_although_pydantic_ignores_them():
    _, errors = SchemaValidator(Profile).load({**EXAMPLE, "x": 1,
                                               "address": {"city": "Lyon", "y": 2}})
    assert errors == {"x": ["Unknown field."], "address": {"y": ["Unknown field."]}}


def test_loading_gives_a_validated_instance_with_defaults_filled_in():
    loaded, errors = SchemaValidator(Profile).load(EXAMPLE)
    assert errors is None and isinstance(loaded, Profile)
    assert (loaded.newsletter, loaded.score, loaded.address.postcode) == (False, 0.5, "69001")


def test_an_output_may_be_an_instance_or_a_dict_and_dumps_to_the_same_json():
    validator = SchemaValidator(Summary)
    as_dict = {"summary": "s", "plan": "plus", "tag_count": 2}
    assert validator.dump_checked(Summary(**as_dict)) == (as_dict, None)
    assert validator.dump_checked(as_dict) == (as_dict, None)


def test_an_instance_of_another_model_with_the_same_fields_is_validated_through_the_output_model():
    class Lookalike(BaseModel):
        summary: str
        plan: str
        tag_count: int

    validator = SchemaValidator(Summary)
    assert validator.dump_checked(Lookalike(summary="s", plan="plus", tag_count=1))[1] is None
    _, errors = validator.dump_checked(Lookalike(summary="s", plan="gold", tag_count=1))
    assert list(errors) == ["plan"]


def test_an_output_breaking_the_output_model_names_its_fields():
    validator = SchemaValidator(Summary)
    _, errors = validator.dump_checked({"summary": "s", "plan": "plus", "tag_count": -1,
                                        "stray": True})
    assert set(errors) == {"tag_count", "stray"} and errors["stray"] == ["Unknown field."]
    assert validator.dump_checked(["not", "an", "object"])[1] == {
        "_schema": ["Expected an object, got list."]}


def test_messages_of_the_models_own_validators_keep_their_words_and_their_place():
    class Box(BaseModel):
        low: int
        high: int

        @model_validator(mode="after")
        def ordered(self):
            if self.low > self.high:
                raise ValueError("low must not exceed high")
            return self

    class Crate(BaseModel):
        boxes: list[Box]

    _, errors = SchemaValidator(Crate).load({"boxes": [{"low": 1, "high": 2},
                                                       {"low": 3, "high": 2}]})
    assert errors == {"boxes": {1: ["low must not exceed high."]}}


def test_published_schemas_are_self_contained_with_enums_and_nested_models_inlined():
    class Colour(enum.Enum):
        RED = "red"
        BLUE = "blue"

    class Part(BaseModel):
        colour: Colour
        spare: Optional[Colour] = None

    class Kit(BaseModel):
        main: Part
        extra: Optional[Part] = Field(None, description="A second part.", title="Extra part")

    schema = SchemaValidator(Kit).json_schema
    assert "$defs" not in schema and "$ref" not in str(schema)
    main = schema["properties"]["main"]
    assert main["properties"]["colour"] == {"enum": ["red", "blue"], "type": "string"}
    assert main["properties"]["spare"]["enum"] == ["red", "blue", None]
    extra = schema["properties"]["extra"]
    assert extra["type"] == ["object", "null"] and extra["title"] == "Extra part"
    assert extra["additionalProperties"] is False and extra["description"] == "A second part."


def test_a_recursive_model_keeps_only_its_own_definitions_and_every_ref_resolves():
    class Node(BaseModel):
        value: int
        children: list["Node"] = []

    class Tree(BaseModel):
        root: Node

    validator = SchemaValidator(Tree)
    assert set(validator.json_schema["$defs"]) == {"Node"}
    Draft202012Validator.check_schema(validator.json_schema)
    deep = {"root": {"value": 1, "children": [{"value": 2, "children": [{"value": "x"}]}]}}
    assert validator.load(deep)[1] == {"root": {"children": {0: {"children": {0: {"value": [
        "Not a valid value: expected an integer, got a string."]}}}}}}
    loaded, errors = validator.load({"root": {"value": 1, "children": [{"value": 2}]}})
    assert errors is None and loaded.root.children[0].value == 2


def test_only_titles_someone_wrote_are_published():
    class Titled(BaseModel):
        model_config = ConfigDict(title="A titled thing")
        plain_field: int
        named: int = Field(title="Named field")

    schema = SchemaValidator(Titled).json_schema
    assert schema["title"] == "A titled thing"
    assert "title" not in schema["properties"]["plain_field"]
    assert schema["properties"]["named"]["title"] == "Named field"


def test_a_model_that_allows_extra_fields_publishes_so_and_keeps_them():
    class Open(BaseModel):
        model_config = ConfigDict(extra="allow")
        a: int

    validator = SchemaValidator(Open)
    assert validator.json_schema["additionalProperties"] is True
    loaded, errors = validator.load({"a": 1, "b": 2})
    assert errors is None and loaded.model_extra == {"b": 2}


def test_aliases_are_the_names_on_the_wire():
    class Aliased(BaseModel):
        sepal: float = Field(alias="sepalLength")

    validator = SchemaValidator(Aliased)
    assert list(validator.json_schema["properties"]) == ["sepalLength"]
    loaded, _ = validator.load({"sepalLength": 1.5})
    assert loaded.sepal == 1.5
    assert validator.dump_checked(Aliased(sepalLength=2.0)) == ({"sepalLength": 2.0}, None)


def test_a_literal_and_a_string_enum_publish_the_same_enum():
    class Kind(str, enum.Enum):
        A = "a"
        B = "b"

    class WithEnum(BaseModel):
        kind: Kind

    class WithLiteral(BaseModel):
        kind: Literal["a", "b"]

    assert SchemaValidator(WithEnum).json_schema == SchemaValidator(WithLiteral).json_schema
