"""``model-service predict``: run a model over a JSON, JSON Lines or CSV file."""
from __future__ import annotations

import io
import os
import sys
from typing import IO, Any

import click
import orjson

from ..core.errors import ModelServiceError
from ..core.rows import RowsUnreadable, detect_format, predict_in_batches, read_rows
from ..core.values import flatten_errors
from .group import main
from .context import load_registry

EXIT_INVALID_ROWS = 1


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

    Writes one JSON result per line to stdout, in input order. Invalid rows are reported on
    stderr by row number (the first record is row 1) and field, and skipped; the exit status is
    then 1. --fail-fast stops at the first one.
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
    fmt = fmt or detect_format(file, stream.peek(64))
    try:
        if fmt == "json":  # read whole: progress counts rows
            document = read_rows(stream, fmt, {})
            rows = list(document)
            total = len(rows)

            def progress_at(number: int) -> int:
                return number
        else:  # streamed: progress counts bytes read
            rows = read_rows(stream, fmt, hosted.input_validator.json_schema)
            total = size or 0

            def progress_at(number: int) -> int:
                return counting.count
    except RowsUnreadable as error:
        raise click.ClickException(str(error)) from None

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

    def report_invalid(number: int, errors: Any) -> None:
        stats["invalid"] += 1
        for path, message in flatten_errors(errors):
            click.echo(f"row {number}: {'.'.join(path) or '(row)'}: {message}", err=True)

    # The shared path of the batch page: core/rows.py reads, validates and batches the rows.
    with click.progressbar(length=total, file=sys.stderr,
                           label=f"Predicting with {name}", hidden=not show) as bar:
        last = 0
        for outcomes in predict_in_batches(hosted, rows, batch_size, stop_at_invalid=fail_fast):
            lines, failed, stop = [], [], None
            for outcome in outcomes:
                if outcome.errors is not None:
                    report_invalid(outcome.number, outcome.errors)
                    if fail_fast:
                        stop = f"Stopped at invalid row {outcome.number} (--fail-fast)."
                        break
                elif outcome.failure is not None:
                    failed.append(outcome)
                else:
                    item = ({"row": outcome.number, "result": outcome.result} if row_numbers
                            else outcome.result)
                    lines.append(orjson.dumps(item, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")
            write(b"".join(lines))
            stats["ok"] += len(lines)
            if failed:
                stats["failed"] += len(failed)
                click.echo(f"rows {failed[0].number}-{failed[-1].number}: {failed[0].failure}",
                           err=True)
                if fail_fast:
                    stop = "Stopped at a failed batch (--fail-fast)."
            if stop:
                raise click.ClickException(stop)
            bar.update(progress_at(outcomes[-1].number) - last)
            last = progress_at(outcomes[-1].number)

    total = stats["ok"] + stats["invalid"] + stats["failed"]
    summary = f"{stats['ok']} of {total} rows predicted"
    if stats["invalid"] or stats["failed"]:
        summary += f"; {stats['invalid']} invalid, {stats['failed']} failed in the model"
        click.echo(summary + ".", err=True)
        sys.exit(EXIT_INVALID_ROWS)
    if show:
        click.echo(summary + ".", err=True)
