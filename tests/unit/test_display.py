"""How the pages show values: the rounding rule, percentages, JSON text, result rows."""
import json
import math
import subprocess

import pytest

from helpers import DISPLAY_NUMBERS, IRIS_ROW
from iris_model import IrisModel
from model_service.core.validation import model_json_schemas
from model_service.web.display import (curl_command, format_number, format_percent, js_json,
                                       js_number, output_hints, result_rows)
from model_service.web.schema_view import build_tree



@pytest.mark.parametrize("value, shown", DISPLAY_NUMBERS)
def test_numbers_are_rounded_to_four_significant_digits_for_display(value, shown):
    assert format_number(value) == shown


def test_halves_round_away_from_zero_on_the_exact_binary_value():
    assert format_number(1.00005) == "1"  # 1.00005 is stored as 1.0000499999...
    assert format_number(1.2345) == "1.234"  # stored just below the half
    assert format_number(0.0012345) == "0.001234"  # stored just below the half as well
    assert format_number(1.25e-5) == "1.25e-5"
    assert format_number(-2.5e-5) == "-2.5e-5"


@pytest.mark.parametrize("probability, shown", [
    (0, "0%"), (1, "100%"), (1.0, "100%"), (0.9809884277925826, "98.1%"), (0.5, "50.0%"),
    (6.071671659324716e-07, "<0.1%"), (0.0004999, "<0.1%"), (0.0005, "0.1%"),
    (0.99951, ">99.9%"), (0.0476, "4.8%"),
])
def test_probabilities_are_percentages_with_one_decimal(probability, shown):
    assert format_percent(probability) == shown


@pytest.mark.parametrize("value, text", [
    (9.427057838162268e-05, "0.00009427057838162268"), (2.0, "2"), (1e21, "1e+21"),
    (1e-7, "1e-7"), (123.456, "123.456"), (-1.5e-9, "-1.5e-9"), (1e20, "100000000000000000000"),
    (2 ** 60, "1152921504606847000"), (0.1, "0.1"), (-0.0, "0"),
])
def test_numbers_are_written_as_javascript_writes_them(value, text):
    assert js_number(value) == text


def test_json_is_written_as_json_stringify_writes_it():
    value = {"a": [1, 2.5, {"b": None}], "é\n\"": True, "empty": {}, "list": [], "x": 1e-7}
    assert js_json(value) == '{"a":[1,2.5,{"b":null}],"é\\n\\"":true,"empty":{},"list":[],"x":1e-7}'
    assert js_json(value, indent=2) == (
        '{\n  "a": [\n    1,\n    2.5,\n    {\n      "b": null\n    }\n  ],\n'
        '  "é\\n\\"": true,\n  "empty": {},\n  "list": [],\n  "x": 1e-7\n}')
    assert json.loads(js_json(value, indent=2)) == value
    assert js_json("\x01\u2028") == '"\\u0001\u2028"'


def test_curl_command_quotes_the_body_for_a_shell():
    command = curl_command("http://127.0.0.1:8000/api/models/m/predict", {"text": "it's \"ok\""})
    script = command.replace("curl -X POST", "printf '%s\\n'", 1)
    echoed = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True)
    assert echoed.stdout.splitlines()[-1] == '{"text":"it\'s \\"ok\\""}'


def iris_hints():
    _, output_schema = model_json_schemas("iris_model", IrisModel)
    return output_hints(build_tree(output_schema))


def test_class_probabilities_become_a_sorted_chart_with_the_winner_marked():
    result = IrisModel().predict({**IRIS_ROW, "petal_length": 5.2, "petal_width": 2.3})
    rows = result_rows(result, iris_hints())
    assert [(row.path, row.kind) for row in rows] == [("species", "value"),
                                                      ("probabilities", "probabilities")]
    bars = rows[1].bars
    assert [bar.label for bar in bars] == sorted(result["probabilities"],
                                                 key=lambda k: -result["probabilities"][k])
    assert [bar.winner for bar in bars] == [True, False, False]
    assert bars[0].percent == format_percent(result["probabilities"][bars[0].label])
    assert all(bar.percent.endswith("%") for bar in bars)


@pytest.mark.parametrize("value, hint, chart", [
    ({"a": 0.7, "b": 0.3}, {}, True),
    ({"a": 0.7, "b": 0.2}, {}, False),  # sums to 0.9: two scores, not a distribution
    ({"a": 0.7, "b": 0.2}, {"probabilities": True}, True),  # marked: multi-label scores
    ({"a": 0.7, "b": 0.3}, {"probabilities": False}, False),  # marked as not probabilities
    ({"a": 1.0}, {}, False),  # one number alone is not a distribution
    ({"a": 0.5, "b": True}, {}, False), ({"a": 1.5, "b": -0.5}, {}, False),
    ({"a": 0.5, "b": 1.5}, {"probabilities": True}, False),
])
def test_an_object_is_a_chart_when_it_looks_like_probabilities_or_is_marked(value, hint, chart):
    rows = result_rows({"scores": value}, {"scores": hint})
    assert (rows[0].kind == "probabilities") is chart


def test_ties_at_the_top_are_all_winners_and_keep_their_order():
    bars = result_rows({"p": {"x": 0.25, "y": 0.375, "z": 0.375}})[0].bars
    assert [(bar.label, bar.winner) for bar in bars] == [("y", True), ("z", True), ("x", False)]
    assert [bar.width for bar in bars] == ["37.5", "37.5", "25.0"]


def test_numbers_get_their_unit_and_long_or_broken_text_becomes_paragraphs():
    rows = result_rows({"time": 18.6486486, "note": "First line\nsecond line\n\nNext paragraph",
                        "short": "ok", "long": "word " * 30, "flags": [True, None], "n": {}},
                       {"time": {"unit": "s"}, "short": {"multiline": True}})
    by_path = {row.path: row for row in rows}
    assert by_path["time"].text == "18.65 s"
    assert by_path["note"].paragraphs == ["First line\nsecond line", "Next paragraph"]
    assert by_path["short"].kind == "text"  # marked multiline
    assert by_path["long"].kind == "text"
    assert by_path["flags"].text == "[true,null]"
    assert by_path["n"].text == "{}"


def test_a_scalar_result_is_one_row():
    assert [(row.path, row.text) for row in result_rows(math.pi)] == [("result", "3.142")]


def test_units_and_marks_in_field_metadata_are_published_in_the_json_schema():
    input_schema, _ = model_json_schemas("iris_model", IrisModel)
    assert input_schema["properties"]["sepal_length"]["x-unit"] == "cm"
    from fixture_models.review_model import ReviewModel

    review_in, review_out = model_json_schemas("review_model", ReviewModel)
    assert review_in["properties"]["notes"]["x-multiline"] is True
    assert output_hints(build_tree(review_out)) == {"topics": {"probabilities": True},
                                                    "reading_time": {"unit": "s"}}
