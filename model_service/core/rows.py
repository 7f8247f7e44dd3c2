"""Many rows through one model: read CSV, JSON Lines or a JSON array, predict in batches, write.

The one code path of ``model-service predict`` and of the batch page: the same readers (cells
are read by ``values.text_to_value``, as the form reads its inputs), the same validation
(``pipeline.validate_one``), the same batched model calls (``pipeline.run_predict_batch``,
with the model's limits) and the same flattening of results into columns.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

import orjson

from . import pipeline
from .errors import BatchItemsFailed, ModelServiceError
from .registry import HostedModel
from .values import input_kind, json_text, text_to_value

INPUT_FORMATS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
FORMATS = ("csv", "jsonl", "json")


class RowsUnreadable(ValueError):
    """The input as a whole cannot be read (a ``.json`` file that is not a JSON array)."""


class RowError(Exception):
    """A row that cannot even be read (bad JSON line, bad CSV cell); ``errors`` says why."""

    def __init__(self, errors: dict) -> None:
        super().__init__(str(errors))
        self.errors = errors


def detect_format(name: str, head: bytes) -> str:
    """The format of an input: by its file name's extension, else by its first character."""
    suffix = Path(name).suffix.lower()
    if suffix in INPUT_FORMATS:
        return INPUT_FORMATS[suffix]
    first = head.lstrip()[:1]
    return {b"[": "json", b"{": "jsonl"}.get(first, "csv")


def read_json_array(stream: IO[bytes]) -> list:
    """Read a whole JSON array of rows; raise ``RowsUnreadable`` for anything else."""
    try:
        document = orjson.loads(stream.read())
    except orjson.JSONDecodeError as error:
        raise RowsUnreadable(f"The input is not valid JSON: {error}") from None
    if not isinstance(document, list):
        raise RowsUnreadable("A .json input must hold a JSON array of objects.")
    return document


def read_json_lines(stream: IO[bytes]) -> Iterator[Any]:
    """Yield one row per non-blank line; a line that is not JSON is a ``RowError``."""
    for line in stream:
        if not line.strip():
            continue
        try:
            yield orjson.loads(line)
        except orjson.JSONDecodeError as error:
            yield RowError({"_schema": [f"Not valid JSON: {error}."]})


def csv_converter(json_schema: dict):
    """Turn CSV text cells into the JSON values the model's input schema asks for.

    Cells are read by the same rule as the form's inputs (``values.text_to_value``): text that
    is not a value of its field's kind stays a string, and validation says why. An empty cell
    is a missing value.
    """
    properties = json_schema.get("properties", {})
    kinds = {name: input_kind(schema) if isinstance(schema, dict) else "json"
             for name, schema in properties.items()}

    def row(record: dict) -> dict | RowError:
        data, errors = {}, {}
        for name, text in record.items():
            if name is None:
                errors["_schema"] = ["More cells than columns in the header."]
                continue
            if text is None or text == "":
                continue
            data[name] = text_to_value(kinds.get(name, "string"), text)
        return RowError(errors) if errors else data

    return row


def read_csv(stream: IO[bytes], json_schema: dict) -> Iterator[Any]:
    """Yield the rows of a CSV file with a header line (UTF-8, a byte-order mark allowed)."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    convert = csv_converter(json_schema)
    for record in csv.DictReader(text):
        yield convert(record)


def read_rows(stream: IO[bytes], fmt: str, json_schema: dict) -> Iterator[Any]:
    """Rows of ``stream`` in format ``fmt`` (``csv``, ``jsonl`` or ``json``)."""
    if fmt == "json":
        return iter(read_json_array(stream))
    if fmt == "jsonl":
        return read_json_lines(stream)
    return read_csv(stream, json_schema)


@dataclass
class RowOutcome:
    """What became of one input row (numbered from 1): a result, field errors or a failure."""

    number: int
    row: Any  # what was read: an object, another JSON value, or a RowError
    result: Any = None
    errors: Any = None  # field errors (marshmallow's nested shape) when the row is invalid
    failure: str | None = None  # the model failed on the batch holding this row

    @property
    def ok(self) -> bool:
        return self.errors is None and self.failure is None


def predict_in_batches(hosted: HostedModel, rows: Iterable[Any], batch_size: int = 256,
                       stop_at_invalid: bool = False) -> Iterator[list[RowOutcome]]:
    """Validate each row and predict the valid ones ``batch_size`` at a time.

    Yields the outcomes of consecutive rows, in input order, once per model call (a failing
    call fails every row it held, and the next batch goes on). With ``stop_at_invalid`` a
    batch ends at the first invalid row, so a caller can stop there having lost nothing.
    """
    pending: list[RowOutcome] = []
    valid: list[tuple[RowOutcome, dict]] = []

    def predict(batch: list[tuple[RowOutcome, dict]]) -> None:
        try:
            results = pipeline.run_predict_batch(hosted, [data for _, data in batch])
        except BatchItemsFailed as error:  # the model failed on some rows: the others stand
            for index, (outcome, _) in enumerate(batch):
                if index in error.failures:
                    outcome.failure = error.failures[index]
                else:
                    outcome.result = error.results[index]
        except ModelServiceError as error:
            refused = _refused_rows(error, len(batch))
            if refused:  # the model refused some rows by index: name them, predict the rest
                for index, errors in refused.items():
                    batch[index][0].errors = errors
                rest = [item for index, item in enumerate(batch) if index not in refused]
                if rest:
                    predict(rest)
                return
            for outcome, _ in batch:
                outcome.failure = error.detail
        else:
            for (outcome, _), result in zip(batch, results, strict=True):
                outcome.result = result

    def flush() -> list[RowOutcome]:
        if valid:
            predict(list(valid))
        done = list(pending)
        pending.clear()
        valid.clear()
        return done

    for number, row in enumerate(rows, start=1):
        outcome = RowOutcome(number, row)
        pending.append(outcome)
        if isinstance(row, RowError):
            outcome.errors = row.errors
        else:
            try:
                valid.append((outcome, pipeline.validate_one(hosted, row)))
            except ModelServiceError as error:
                outcome.errors = error.errors or {"_schema": [error.detail]}
        if len(pending) >= batch_size or (stop_at_invalid and outcome.errors is not None):
            yield flush()
    if pending:
        yield flush()


def _refused_rows(error: ModelServiceError, size: int) -> dict[int, Any]:
    """The rows of a batch the model itself refused (a 422 keyed by index), else {}."""
    errors = error.errors if error.status == 422 else None
    if not isinstance(errors, dict) or not all(
            isinstance(key, str) and key.isdigit() and int(key) < size for key in errors):
        return {}
    return {int(key): value for key, value in errors.items()}


# --- Results as a table --------------------------------------------------------------------

def flatten(value: Any, path: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``: objects open into dotted columns; lists and
    scalars stay whole (a non-empty object at the top; any other value is the column ``path``
    or ``result``)."""
    if isinstance(value, dict) and value:
        columns: dict[str, Any] = {}
        for key, item in value.items():
            columns.update(flatten(item, f"{path}.{key}" if path else str(key)))
        return columns
    return {path or "result": value}


def cell_text(value: Any) -> str:
    """A CSV cell: strings as they are, nothing as an empty cell, anything else as JSON."""
    return "" if value is None else json_text(value)


def table_columns(outcomes: Iterable[RowOutcome]) -> tuple[list[str], list[str]]:
    """The input and output columns of outcomes, each in the order first seen."""
    inputs: dict[str, None] = {}
    outputs: dict[str, None] = {}
    for outcome in outcomes:
        if isinstance(outcome.row, dict):
            inputs.update(dict.fromkeys(flatten(outcome.row)))
        if outcome.result is not None:
            outputs.update(dict.fromkeys(flatten(outcome.result)))
    return list(inputs), list(outputs)


def write_csv(outcomes: list[RowOutcome], error_text) -> str:
    """The outcomes as CSV: ``row``, the input columns, the prediction's, then ``error``.

    Output columns are named ``prediction.<path>`` when an input column has the same name.
    ``error_text(outcome)`` says what went wrong with a row that has no prediction.
    """
    inputs, outputs = table_columns(outcomes)
    output_names = [f"prediction.{name}" if name in inputs else name for name in outputs]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["row", *inputs, *output_names, "error"])
    for outcome in outcomes:
        given = flatten(outcome.row) if isinstance(outcome.row, dict) else {}
        result = flatten(outcome.result) if outcome.result is not None else {}
        writer.writerow([outcome.number, *(cell_text(given.get(name)) for name in inputs),
                         *(cell_text(result.get(name)) for name in outputs),
                         "" if outcome.ok else error_text(outcome)])
    return buffer.getvalue()


def write_jsonl(outcomes: list[RowOutcome]) -> bytes:
    """The outcomes as JSON Lines: ``{"row", "input", "result"}``, or ``errors``/``failure``."""
    lines = []
    for outcome in outcomes:
        item: dict[str, Any] = {"row": outcome.number}
        if not isinstance(outcome.row, RowError):
            item["input"] = outcome.row
        if outcome.result is not None:
            item["result"] = outcome.result
        if outcome.errors is not None:
            item["errors"] = outcome.errors
        if outcome.failure is not None:
            item["failure"] = outcome.failure
        lines.append(orjson.dumps(item, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")
    return b"".join(lines)
