"""``model-service predict``: run a model over a JSON, JSON Lines or CSV file."""
from __future__ import annotations

import csv
import io
import os
import sys
from pathlib import Path
from typing import IO, Any, Iterator

import click
import orjson

from ..core import pipeline
from ..core.errors import BatchItemsFailed, ModelServiceError
from ..core.values import flatten_errors, input_kind, text_to_value
from .group import main
from .context import load_registry

EXIT_INVALID_ROWS = 1
INPUT_FORMATS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}


class RowError(Exception):
    """A row that cannot even be read (bad JSON line, bad CSV cell)."""

    def __init__(self, errors: dict) -> None:
        super().__init__(str(errors))
        self.errors = errors


def _detect_format(path: str, head: bytes) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in INPUT_FORMATS:
        return INPUT_FORMATS[suffix]
    first = head.lstrip()[:1]
    return {b"[": "json", b"{": "jsonl"}.get(first, "csv")


def _read_json_array(stream: IO[bytes]) -> list:
    try:
        document = orjson.loads(stream.read())
    except orjson.JSONDecodeError as error:
        raise click.ClickException(f"The input is not valid JSON: {error}") from None
    if not isinstance(document, list):
        raise click.ClickException("A .json input must hold a JSON array of objects.")
    return document


def _read_json_lines(stream: IO[bytes]) -> Iterator[Any]:
    for line in stream:
        if not line.strip():
            continue
        try:
            yield orjson.loads(line)
        except orjson.JSONDecodeError as error:
            yield RowError({"_schema": [f"Not valid JSON: {error}."]})


def _csv_converter(json_schema: dict):
    """Turn CSV text cells into the JSON values the model's input schema asks for.

    Cells are read by the same rule as the form's inputs (``core.values.text_to_value``): text
    that is not a value of its field's kind stays a string, and validation says why.
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
                continue  # an empty cell is a missing value
            data[name] = text_to_value(kinds.get(name, "string"), text)
        return RowError(errors) if errors else data

    return row


def _read_csv(stream: IO[bytes], json_schema: dict) -> Iterator[Any]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    convert = _csv_converter(json_schema)
    for record in csv.DictReader(text):
        yield convert(record)


class _CountingReader(io.RawIOBase):
    """A byte stream that counts what was read, for a progress bar over a file."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.count = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        buffer[:len(data)] = data
        self.count += len(data)
        return len(data)


PROGRESS_MIN_BYTES = 256 * 1024


@main.command()
@click.argument("name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["json", "jsonl", "csv"]), default=None,
              help="Input format [default: from the extension (.json, .jsonl/.ndjson, .csv); "
                   "for '-', guessed from the first character].")
@click.option("--batch-size", type=click.IntRange(min=1), default=256, show_default=True,
              help="Rows handed to the model at a time.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first invalid row or failed batch.")
@click.option("--row-numbers", "-n", is_flag=True,
              help='Write {"row": N, "result": ...} so results can be joined to input rows.')
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on stderr [default: for inputs over 256 KiB on a terminal].")
def predict(name: str, file: str, fmt: str | None, batch_size: int, fail_fast: bool,
            row_numbers: bool, progress: bool | None) -> None:
    """Run model NAME over FILE (a JSON array, JSON Lines or CSV; '-' for stdin).

    Writes one JSON result per line to stdout, in input order. Invalid rows, and rows the model
    fails on, are reported on stderr by row number (the first record is row 1) and skipped; the
    exit status is then 1. --fail-fast stops at the first one.
    """
    registry = load_registry()
    try:
        hosted = registry.get_ready(name)
    except ModelServiceError as error:
        names = ", ".join(sorted(m.name for m in registry.all())) or "none"
        raise click.ClickException(f"{error.detail} Models found: {names}.") from None

    raw = click.get_current_context().with_resource(click.open_file(file, "rb"))
    size = None
    if file != "-":
        size = os.fstat(raw.fileno()).st_size
    counting = _CountingReader(raw)
    stream = io.BufferedReader(counting)
    fmt = fmt or _detect_format(file, stream.peek(64))
    if fmt == "json":  # read whole: progress counts rows
        document = _read_json_array(stream)
        rows, total = iter(document), len(document)

        def progress_at(number: int) -> int:
            return number
    else:  # streamed: progress counts bytes read
        rows = (_read_json_lines(stream) if fmt == "jsonl"
                else _read_csv(stream, hosted.input_validator.json_schema))
        total = size or 0

        def progress_at(number: int) -> int:
            return counting.count

    binary_stdout = getattr(sys.stdout, "buffer", None)

    def write(data: bytes) -> None:
        if binary_stdout is not None:
            binary_stdout.write(data)
            binary_stdout.flush()
        else:
            sys.stdout.write(data.decode())
            sys.stdout.flush()

    show = progress if progress is not None else bool(size and size >= PROGRESS_MIN_BYTES)
    stats = {"ok": 0, "invalid": 0, "failed": 0}
    pending: list[tuple[int, dict]] = []

    def report_invalid(number: int, errors: Any) -> None:
        stats["invalid"] += 1
        for path, message in flatten_errors(errors):
            click.echo(f"row {number}: {'.'.join(path) or '(row)'}: {message}", err=True)
        if fail_fast:
            raise click.ClickException(f"Stopped at invalid row {number} (--fail-fast).")

    def flush() -> None:
        if not pending:
            return
        numbers = [number for number, _ in pending]
        failures: dict[int, str] = {}
        try:
            results = pipeline.run_predict_batch(hosted, [data for _, data in pending])
        except BatchItemsFailed as error:  # the others were predicted: write them
            results, failures = error.results, error.failures
        except ModelServiceError as error:  # refused whole (busy, timed out)
            stats["failed"] += len(pending)
            click.echo(f"rows {numbers[0]}-{numbers[-1]}: {error.detail}", err=True)
            pending.clear()
            if fail_fast:
                raise click.ClickException("Stopped at a failed batch (--fail-fast).") from None
            return
        lines = []
        for index, (number, result) in enumerate(zip(numbers, results)):
            if index in failures:
                click.echo(f"row {number}: {failures[index]}", err=True)
                if fail_fast:
                    write(b"".join(lines))
                    raise click.ClickException(f"Stopped at failed row {number} (--fail-fast).")
                continue
            item = {"row": number, "result": result} if row_numbers else result
            lines.append(orjson.dumps(item, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")
        write(b"".join(lines))
        stats["ok"] += len(pending) - len(failures)
        stats["failed"] += len(failures)
        pending.clear()

    with click.progressbar(length=total, file=sys.stderr,
                                              label=f"Predicting with {name}",
                                              hidden=not show) as bar:
        last = number = 0
        for number, row in enumerate(rows, start=1):
            if isinstance(row, RowError):
                report_invalid(number, row.errors)
            else:
                try:
                    pending.append((number, pipeline.validate_one(hosted, row)))
                except ModelServiceError as error:
                    report_invalid(number, error.errors or {"_schema": [error.detail]})
            if len(pending) >= batch_size:
                flush()
                bar.update(progress_at(number) - last)
                last = progress_at(number)
        flush()
        bar.update(progress_at(number) - last)

    total = stats["ok"] + stats["invalid"] + stats["failed"]
    summary = f"{stats['ok']} of {total} rows predicted"
    if stats["invalid"] or stats["failed"]:
        summary += f"; {stats['invalid']} invalid, {stats['failed']} failed in the model"
        click.echo(summary + ".", err=True)
        sys.exit(EXIT_INVALID_ROWS)
    if show:
        click.echo(summary + ".", err=True)
