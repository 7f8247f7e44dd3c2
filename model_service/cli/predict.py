"""``model-service predict``: run a model over a JSON, JSON Lines or CSV file."""
from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import IO, Any, Iterator

import click
import orjson

from ..core.errors import ModelServiceError
from ..core.rows import RowError, RowsUnreadable, detect_format, predict_in_batches, read_rows
from ..core.values import flatten_errors
from .context import load_registry
from .group import main
from .media_files import MediaPaths, parse_inputs, write_outputs

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
BATCH_SIZE = 256
# Rows are validated (images decoded) as they are read and held until their batch runs: a batch
# of 8 decoded 12 MP photos is about 0.9 GB of pixels already.
MEDIA_BATCH_SIZE = 8


def _with_media(rows: Iterator[Any], paths: MediaPaths) -> Iterator[Any]:
    """Read each row's media fields from the files they name (an unreadable one: a RowError)."""
    for row in rows:
        if isinstance(row, RowError):
            yield row
            continue
        read, errors = paths.read(row)
        yield RowError(errors) if errors else read


@main.command()
@click.argument("name")
@click.argument("file", required=False,
                type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--input", "-i", "inputs", multiple=True, metavar="FIELD=VALUE",
              help="One prediction from these fields instead of FILE (repeat for each field); "
                   "a media field's value is a file path.")
@click.option("--output-dir", "-o", type=click.Path(file_okay=False, writable=True),
              help="Write media outputs here as row-N.FIELD.EXT; the JSON line names the file "
                   "instead of holding base64.")
@click.option("--format", "fmt", type=click.Choice(["json", "jsonl", "csv"]), default=None,
              help="Input format [default: from the extension (.json, .jsonl/.ndjson, .csv); "
                   "for '-', guessed from the first character].")
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help=f"Rows handed to the model at a time [default: {BATCH_SIZE}; "
                   f"{MEDIA_BATCH_SIZE} for a model with media inputs].")
@click.option("--fail-fast", is_flag=True, help="Stop at the first invalid row or failed batch.")
@click.option("--row-numbers", "-n", is_flag=True,
              help='Write {"row": N, "result": ...} so results can be joined to input rows.')
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on stderr [default: for inputs over 256 KiB on a terminal].")
def predict(name: str, file: str | None, inputs: tuple[str, ...], output_dir: str | None,
            fmt: str | None, batch_size: int | None, fail_fast: bool, row_numbers: bool,
            progress: bool | None) -> None:
    """Run model NAME over FILE (a JSON array, JSON Lines or CSV; '-' for stdin), or once on
    the fields given by --input.

    Writes one JSON result per line to stdout, in input order. Invalid rows, and rows the model
    fails on, are reported on stderr by row number (the first record is row 1) and skipped; the
    exit status is then 1. --fail-fast stops at the first one.

    A media field (image or file) is given as a file path: in FILE, relative to FILE's folder
    (to the current directory for stdin), or a data: URI; with --input, relative to the current
    directory.
    """
    if file is not None and inputs:
        raise click.UsageError("Give either FILE or --input FIELD=VALUE, not both.")
    if file is None and not inputs:
        raise click.UsageError("Give FILE, or --input FIELD=VALUE for one prediction.")
    for pair in inputs:
        if "=" not in pair:
            raise click.BadParameter(f"{pair!r} is not FIELD=VALUE.", param_hint="--input")
    registry = load_registry()
    try:
        hosted = registry.get_ready(name)
    except ModelServiceError as error:
        names = ", ".join(sorted(m.name for m in registry.all())) or "none"
        raise click.ClickException(f"{error.detail} Models found: {names}.") from None

    validator = hosted.input_validator
    if batch_size is None:
        batch_size = MEDIA_BATCH_SIZE if validator.media_fields else BATCH_SIZE
    outputs = Path(output_dir) if output_dir else None
    if outputs is not None:
        outputs.mkdir(parents=True, exist_ok=True)
    size = None
    if file is None:  # one prediction from --input
        paths = MediaPaths(validator, Path.cwd(), "the current directory")
        row, errors = parse_inputs(inputs, validator, paths)
        rows, total = [RowError(errors) if errors else row], 1

        def progress_at(number: int) -> int:
            return number
    else:
        raw = click.get_current_context().with_resource(click.open_file(file, "rb"))
        if file != "-":
            size = os.fstat(raw.fileno()).st_size
            paths = MediaPaths(validator, Path(file).resolve().parent, "the input file's folder")
        else:
            paths = MediaPaths(validator, Path.cwd(), "the current directory")
        counting = _CountingReader(raw)
        stream = io.BufferedReader(counting)
        fmt = fmt or detect_format(file, stream.peek(64))
        try:
            if fmt == "json":  # read whole: progress counts rows
                rows = list(read_rows(stream, fmt, {}))
                total = len(rows)

                def progress_at(number: int) -> int:
                    return number
            else:  # streamed: progress counts bytes read
                rows = read_rows(stream, fmt, validator.json_schema)
                total = size or 0

                def progress_at(number: int) -> int:
                    return counting.count
        except RowsUnreadable as error:
            raise click.ClickException(str(error)) from None
        rows = _with_media(iter(rows), paths)

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
            lines, stop = [], None
            for outcome in outcomes:
                if outcome.errors is not None:
                    report_invalid(outcome.number, outcome.errors)
                    if fail_fast:
                        stop = f"Stopped at invalid row {outcome.number} (--fail-fast)."
                        break
                elif outcome.failure is not None:  # the model failed on this row: say why
                    stats["failed"] += 1
                    click.echo(f"row {outcome.number}: {outcome.failure}", err=True)
                    if fail_fast:
                        stop = f"Stopped at failed row {outcome.number} (--fail-fast)."
                        break
                else:
                    result = outcome.result
                    if outputs is not None:
                        result = write_outputs(result, outcome.number, hosted.output_validator,
                                               outputs)
                    item = {"row": outcome.number, "result": result} if row_numbers else result
                    lines.append(orjson.dumps(item, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")
            write(b"".join(lines))
            stats["ok"] += len(lines)
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
