"""Rows through a model, shared by ``model-service predict`` and the batch page."""
import csv
import io

import pytest

from helpers import ECHO, RAISING, build_app
from model_service.core.rows import (RowError, RowsUnreadable, detect_format, flatten,
                                     predict_in_batches, read_rows, write_csv, write_jsonl)
from model_service.hosting import get_registry


@pytest.fixture
def registry(tmp_path):
    return get_registry(build_app(tmp_path, [ECHO, RAISING]))


def rows_of(text, fmt, registry, name="echo_model"):
    schema = registry.get(name).input_validator.json_schema
    return list(read_rows(io.BytesIO(text.encode()), fmt, schema))


@pytest.mark.parametrize("name, head, fmt", [
    ("rows.CSV", b"{", "csv"), ("x.ndjson", b"a", "jsonl"), ("pasted", b"  [", "json"),
    ("pasted", b'\n{"a"', "jsonl"), ("pasted", b"a,b", "csv")])
def test_the_format_comes_from_the_extension_else_the_first_character(name, head, fmt):
    assert detect_format(name, head) == fmt


def test_csv_cells_are_typed_by_the_schema_and_blank_cells_are_missing(registry):
    assert rows_of("value,label\n3,x\n,y\n1.5,\n", "csv", registry) == [
        {"value": 3, "label": "x"}, {"label": "y"}, {"value": 1.5}]
    extra = rows_of("value\n1,2\n", "csv", registry)[0]
    assert isinstance(extra, RowError) and "More cells" in extra.errors["_schema"][0]


def test_a_bad_json_line_is_a_row_error_and_a_non_array_is_unreadable(registry):
    read = rows_of('{"value": 1}\nnot json\n\n{"value": 2}\n', "jsonl", registry)
    assert read[0] == {"value": 1} and isinstance(read[1], RowError) and read[2] == {"value": 2}
    with pytest.raises(RowsUnreadable, match="JSON array"):
        rows_of('{"value": 1}', "json", registry)


def test_outcomes_keep_input_order_with_errors_and_failed_batches(registry):
    rows = [{"value": 1}, {"value": -1}, {"value": 13}, "text", {"value": 4}]
    batches = list(predict_in_batches(registry.get("raising_model"), rows, batch_size=3))
    assert [[outcome.number for outcome in batch] for batch in batches] == [[1, 2, 3], [4, 5]]
    outcomes = [outcome for batch in batches for outcome in batch]
    # 13 fails on its own: the call is retried row by row, so row 1 still gets its result
    assert outcomes[0].ok and outcomes[0].result == {"doubled": 2, "label": "none"}
    assert "failed" in outcomes[2].failure and "secret" not in outcomes[2].failure
    assert outcomes[1].errors == {"value": ["Must be greater than or equal to 0."]}
    assert outcomes[3].errors == {"_schema": ["Expected a JSON object."]}
    assert outcomes[4].ok and outcomes[4].result == {"doubled": 8, "label": "none"}


def test_stop_at_invalid_ends_a_batch_at_the_first_invalid_row(registry):
    rows = [{"value": 1}, {"value": -1}, {"value": 3}]
    batches = list(predict_in_batches(registry.get("echo_model"), rows, 10, stop_at_invalid=True))
    assert [len(batch) for batch in batches] == [2, 1]
    assert batches[0][0].result == {"doubled": 2, "label": "none"}


def test_results_are_flattened_into_columns_after_the_inputs():
    assert flatten({"a": {"b": 1, "c": [1, 2]}, "d": {}}) == {"a.b": 1, "a.c": [1, 2], "d": {}}
    assert flatten(5) == {"result": 5}


def test_csv_and_json_lines_downloads_hold_every_row(registry):
    rows = [{"value": 2, "label": "a,b"}, {"value": 500}]
    outcomes = [o for batch in predict_in_batches(registry.get("echo_model"), rows) for o in batch]
    written = list(csv.reader(io.StringIO(write_csv(outcomes, lambda o: "bad"))))
    assert written == [["row", "value", "label", "doubled", "prediction.label", "error"],
                       ["1", "2", "a,b", "4", "a,b", ""], ["2", "500", "", "", "", "bad"]]
    lines = write_jsonl(outcomes).decode().splitlines()
    assert lines[0] == '{"row":1,"input":{"value":2,"label":"a,b"},"result":{"doubled":4,"label":"a,b"}}'
    assert lines[1].startswith('{"row":2,"input":{"value":500},"errors":{"value":')
