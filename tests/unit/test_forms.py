"""Reading JSON Schemas into form fields, and form data back into typed JSON."""
import pytest
from werkzeug.datastructures import MultiDict

from fixture_models.review_model import ReviewInput, ReviewModel
from fixture_models.rich_model import RichInput
from iris_model.model import IrisInput
from model_service.core.values import text_to_value as coerce_text
from model_service.web.form_binding import DEFAULT_ROWS, bind, form_values
from model_service.web.form_names import child_name, input_id
from model_service.web.form_parsing import locate_errors, parse_form
from model_service.web.schema_view import build_tree, constraint_phrases, example_value
from model_service.core.schema import to_json_schema
from model_service.core.validation import SchemaValidator

RICH = to_json_schema(RichInput)


def fields_by_key(tree):
    return {child.key: child for child in tree.children}


def test_each_json_schema_type_gets_its_kind_of_control():
    fields = fields_by_key(build_tree(RICH))
    assert {key: field.kind for key, field in fields.items()} == {
        "age": "integer", "plan": "enum", "newsletter": "boolean", "score": "number",
        "tags": "array", "address": "object"}
    assert fields["tags"].items.kind == "string"
    assert [child.key for child in fields["address"].children] == ["city", "postcode"]
    assert fields["age"].required and not fields["score"].required
    assert fields["address"].children[0].required


def test_labels_are_titles_or_keys_in_words():
    schema = {"type": "object", "properties": {
        "sepal_length": {"type": "number"}, "petalWidth": {"type": "number"},
        "HTTPCode": {"type": "integer"}, "user_ID": {"type": "integer"},
        "x": {"type": "string", "title": "The X"}}}
    labels = [child.label for child in build_tree(schema).children]
    assert labels == ["Sepal length", "Petal width", "HTTPCode", "User ID", "The X"]


def test_nullable_refs_and_wrappers_are_read_through():
    schema = {
        "type": "object",
        "$defs": {"Point": {"type": "object", "properties": {"x": {"type": "number"}}}},
        "properties": {
            "maybe": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
            "nullable": {"type": ["string", "null"]},
            "point": {"$ref": "#/$defs/Point"},
            "wrapped": {"allOf": [{"$ref": "#/$defs/Point"}], "description": "Wrapped."},
            "server_only": {"type": "integer", "readOnly": True},
        },
    }
    fields = fields_by_key(build_tree(schema))
    assert fields["maybe"].kind == "integer" and fields["maybe"].nullable
    assert fields["nullable"].type_label == "string or null"
    assert fields["point"].kind == "object" and fields["point"].children[0].key == "x"
    assert fields["wrapped"].kind == "object" and fields["wrapped"].description == "Wrapped."
    assert "server_only" not in fields


def test_shapes_no_control_can_express_become_json_text():
    schema = {"type": "object", "properties": {
        "anything": {},
        "mapping": {"type": "object", "additionalProperties": {"type": "integer"}},
        "pair": {"type": "array", "prefixItems": [{"type": "integer"}], "items": {}},
        "either": {"type": ["integer", "string"]},
        "loop": {"$ref": "#"},
    }}
    fields = fields_by_key(build_tree(schema))
    assert {key: field.kind for key, field in fields.items() if key != "loop"} == {
        "anything": "json", "mapping": "json", "pair": "json", "either": "json"}
    depth = 0
    node = fields["loop"]
    while node.kind == "object":  # a recursive schema stops at a JSON text area
        node = fields_by_key(node)["loop"]
        depth += 1
    assert node.kind == "json" and depth < 20


def test_constraints_are_described_in_words():
    fields = fields_by_key(build_tree(RICH))
    assert fields["age"].constraints == ["from 18 to 120"]
    assert fields["plan"].constraints == ["one of: basic, plus, premium"]
    assert fields["plan"].hints == []  # the select lists the values itself
    assert fields["tags"].constraints == ["each item: at most 20 characters"]
    city, postcode = fields["address"].children
    assert city.constraints == ["1 to 40 characters"]
    assert postcode.constraints == ["matches the pattern ^[0-9]{5}$"]
    assert postcode.html_pattern == "[0-9]{5}"


@pytest.mark.parametrize("pattern, attribute", [
    ("^[0-9]{5}$", "[0-9]{5}"),
    ("^[A-Z]{2}-\\d{3,}(?:x[a-f0-9]+)?$", "[A-Z]{2}-\\d{3,}(?:x[a-f0-9]+)?"),
    ("[0-9]+", None),  # unanchored: JSON Schema searches, HTML matches the whole value
    ("^[0-9]+", None),
    ("^[a-z-]+$", None),  # a syntax error for the browser's v-flag regular expressions
    ("^(?P<x>a)$", None),  # Python-only syntax
    ("^a{$", None),
    ("^a\\-b$", None),  # an identity escape the browser rejects
])
def test_only_patterns_that_mean_the_same_in_a_browser_are_given_to_it(pattern, attribute):
    tree = build_tree({"type": "object", "properties": {"code": {"type": "string",
                                                                 "pattern": pattern}}})
    assert tree.children[0].html_pattern == attribute


def test_walk_lists_nested_fields_with_their_depth():
    schema = {"type": "object", "properties": {
        "orders": {"type": "array", "items": {"type": "object", "properties": {
            "sku": {"type": "string"}}}},
        "address": {"type": "object", "properties": {"city": {"type": "string"}}}}}
    assert [(path, depth) for path, depth, _ in build_tree(schema).walk()] == [
        ("orders", 0), ("orders[].sku", 1), ("address", 0), ("address.city", 1)]


# --- names -----------------------------------------------------------------------------------


def test_names_escape_dots_so_every_path_has_its_own_name():
    assert child_name("", "a.b") == "a~1b"
    assert child_name("a", "b") == "a.b"
    assert child_name("", "a~1b") == "a~01b"
    assert child_name("tags", 0) == "tags.0"
    assert " " not in input_id("first name") and input_id("a.b") != input_id("a~1b")


# --- form data -> JSON -----------------------------------------------------------------------


def rich_form(**overrides):
    form = {"age": "42", "plan": '"plus"', "score": "0.5", "tags.0": "", "tags.1": "vip",
            "tags.2": "", "address.city": "Lyon", "address.postcode": ""}
    form.update(overrides)
    return MultiDict({key: value for key, value in form.items() if value is not None})


def test_form_data_becomes_json_typed_by_the_schema():
    data, _ = parse_form(build_tree(RICH), rich_form(newsletter="true"))
    assert data == {"age": 42, "plan": "plus", "newsletter": True, "score": 0.5,
                    "tags": ["vip"], "address": {"city": "Lyon"}}
    assert SchemaValidator(RichInput).errors(data) is None


def test_an_unticked_checkbox_is_false_and_blank_inputs_are_left_out():
    data, _ = parse_form(build_tree(RICH), rich_form(age="", score="", **{"tags.1": ""}))
    assert data == {"plan": "plus", "newsletter": False, "address": {"city": "Lyon"}}


def test_a_required_object_is_sent_even_when_blank_so_its_fields_are_reported():
    data, _ = parse_form(build_tree(RICH), rich_form(**{"address.city": ""}))
    assert data["address"] == {}
    errors = SchemaValidator(RichInput).errors(data)
    assert errors == {"address": {"city": ["Missing data for required field."]}}


def test_an_optional_object_is_left_out_unless_something_in_it_changed():
    schema = {"type": "object", "properties": {"options": {
        "type": "object", "required": ["name"],
        "properties": {"name": {"type": "string"}, "threshold": {"type": "number", "default": 0.5},
                       "verbose": {"type": "boolean", "default": True}}}}}
    tree = build_tree(schema)
    untouched = MultiDict({"options.name": "", "options.threshold": "0.5",
                           "options.verbose": "true"})
    assert parse_form(tree, untouched)[0] == {}
    unticked = MultiDict({"options.name": "", "options.threshold": "0.5"})
    assert parse_form(tree, unticked)[0] == {"options": {"threshold": 0.5, "verbose": False}}


@pytest.mark.parametrize("kind, text, value", [
    ("integer", "42", 42), ("integer", " -7 ", -7), ("integer", "1.5", 1.5),
    ("number", "2", 2), ("number", "0.25", 0.25), ("number", "1e3", 1000.0),
    ("number", "abc", "abc"), ("number", "NaN", "NaN"), ("number", "Infinity", "Infinity"),
    ("number", "1e999", "1e999"), ("number", "0x10", "0x10"), ("integer", "٣", "٣"),
    ("enum", '"plus"', "plus"), ("enum", "3", 3), ("enum", "null", None), ("enum", "plus", "plus"),
    ("json", '{"a": [1, 2]}', {"a": [1, 2]}), ("json", "NaN", "NaN"), ("string", " 7 ", " 7 "),
])
def test_text_is_read_as_the_kind_expects_or_kept_for_validation_to_report(kind, text, value):
    assert coerce_text(kind, text) == value


def test_a_number_typed_as_text_gets_the_apis_own_message():
    tree = build_tree(RICH)
    data, locations = parse_form(tree, rich_form(age="20.5"))
    errors = locate_errors(SchemaValidator(RichInput).errors(data), locations)
    assert errors == {"age": ["Not a valid value: expected an integer, got a number."]}


def test_errors_land_on_the_row_they_came_from_after_blank_rows_are_dropped():
    tree = build_tree(RICH)
    data, locations = parse_form(tree, rich_form(**{"tags.1": "", "tags.2": "x" * 21,
                                                  "tags.5": "ok"}))
    assert data["tags"] == ["x" * 21, "ok"]
    errors = locate_errors(SchemaValidator(RichInput).errors(data), locations)
    assert errors == {"tags.2": ["Longer than maximum length 20."]}


def test_row_names_that_are_not_small_numbers_are_ignored():
    data, _ = parse_form(build_tree(RICH), rich_form(**{"tags.²": "a", "tags.x": "b",
                                                      "tags.1234567": "c", "tags.9": "d"}))
    assert data["tags"] == ["vip", "d"]


def test_errors_without_a_control_are_shown_on_the_nearest_one_naming_the_field():
    tree = build_tree(RICH)
    _, locations = parse_form(tree, rich_form())
    errors = locate_errors({"surprise": ["Unknown field."], "address": {
        "_schema": ["Bad address."], "planet": ["Unknown field."]}}, locations)
    assert errors == {"": ["surprise: Unknown field."],
                      "address": ["Bad address.", "planet: Unknown field."]}


# --- what the form shows ---------------------------------------------------------------------


def test_a_fresh_form_shows_defaults_and_blank_rows():
    form = bind(build_tree(RICH))
    fields = {child.name: child for child in form.children}
    assert fields["score"].value == "0.5"
    assert not fields["newsletter"].checked
    assert fields["age"].value == ""
    assert len(fields["tags"].rows) == DEFAULT_ROWS
    assert [row.name for row in fields["tags"].rows] == ["tags.0", "tags.1", "tags.2"]
    assert fields["tags"].template.name == f"tags.{fields['tags'].placeholder}"


def test_a_posted_form_keeps_what_was_typed_and_shows_errors():
    posted = rich_form(age="150", **{"tags.7": "late"})
    form = bind(build_tree(RICH), posted, {"age": ["Too old."], "address.city": ["Missing."]})
    fields = {child.name: child for child in form.children}
    assert fields["age"].value == "150" and fields["age"].errors == ["Too old."]
    assert fields["age"].described_by == "f-age-help f-age-error"
    assert [row.name for row in fields["tags"].rows] == ["tags.0", "tags.1", "tags.2", "tags.7"]
    assert fields["tags"].next_index == 8
    assert fields["address"].children[0].errors == ["Missing."]
    assert fields["score"].default == "0.5"


def test_rows_respect_min_and_max_items():
    schema = {"type": "object", "properties": {
        "few": {"type": "array", "items": {"type": "integer"}, "maxItems": 2},
        "many": {"type": "array", "items": {"type": "integer"}, "minItems": 5}}}
    few, many = bind(build_tree(schema)).children
    assert len(few.rows) == 2 and len(many.rows) == 5


def test_boolean_items_are_chosen_from_a_list_since_an_unticked_box_sends_nothing():
    schema = {"type": "object", "properties": {"flags": {"type": "array",
                                                         "items": {"type": "boolean"}}}}
    flags = build_tree(schema).children[0]
    assert flags.items.kind == "enum" and flags.items.enum == [True, False]
    data, _ = parse_form(build_tree(schema), MultiDict({"flags.0": "false", "flags.1": "true"}))
    assert data == {"flags": [False, True]}


@pytest.mark.parametrize("schema_class", [IrisInput, RichInput])
def test_generated_examples_are_valid_input(schema_class):
    example = example_value(build_tree(to_json_schema(schema_class)))
    assert SchemaValidator(schema_class).errors(example) is None


# --- long text, examples, numbers as text ---------------------------------------------------

REVIEW = to_json_schema(ReviewInput)


def test_long_or_marked_strings_get_a_text_area_and_short_ones_an_input():
    fields = fields_by_key(build_tree(REVIEW))
    assert {key: field.control for key, field in fields.items()} == {
        "title": "input", "review": "textarea", "notes": "textarea", "stars": "input"}
    marked_short = build_tree({"type": "object", "properties": {
        "a": {"type": "string", "maxLength": 5000, "x-multiline": False}}}).children[0]
    assert marked_short.control == "input"


def test_line_breaks_posted_as_crlf_reach_the_model_as_lf():
    data, _ = parse_form(build_tree(REVIEW), MultiDict(
        {"title": "t", "review": "one\r\ntwo\r\n\r\nthree", "notes": "", "stars": ""}))
    assert data == {"title": "t", "review": "one\ntwo\n\nthree"}


def test_an_example_fills_the_form_and_posting_it_sends_the_example_back():
    tree = build_tree(RICH)
    example = {"age": 30, "plan": "plus", "newsletter": True, "tags": ["a", "b"],
               "address": {"city": "Lyon"}}
    values = form_values(tree, example)
    assert values == {"age": "30", "plan": '"plus"', "newsletter": "true", "score": "0.5",
                      "tags.0": "a", "tags.1": "b", "address.city": "Lyon"}
    data, _ = parse_form(tree, MultiDict(values))
    assert data == {**example, "score": 0.5}  # what the example left out shows its default
    for example in ReviewModel.examples:
        data, _ = parse_form(build_tree(REVIEW), MultiDict(form_values(build_tree(REVIEW), example)))
        assert data == example


def test_numbers_are_text_inputs_with_a_keypad_and_examples_read_as_examples():
    fields = fields_by_key(build_tree(RICH))
    assert fields["age"].input_type == "text" and fields["age"].inputmode == "numeric"
    assert fields["score"].inputmode == "decimal"
    signed = build_tree({"type": "object", "properties": {"t": {"type": "number"}}}).children[0]
    assert signed.inputmode == "text"  # a minus sign may be needed
    iris = fields_by_key(build_tree(to_json_schema(IrisInput)))
    assert iris["sepal_length"].placeholder == "e.g. 5.1"
    assert iris["sepal_length"].unit == "cm"
    assert iris["sepal_length"].type_label == "number, in cm"


def test_limits_are_described_with_the_numbers_people_write():
    assert constraint_phrases({"minimum": 0.0, "maximum": 20.0}) == ["from 0 to 20"]
    assert constraint_phrases({"exclusiveMinimum": 1e-05}) == ["greater than 0.00001"]
