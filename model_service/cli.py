"""The ``model-service`` command: ``serve``, ``list``, ``openapi`` and ``predict``.

``serve`` is the production server (gunicorn, preloaded models, shared metrics, draining
shutdown), or Flask's reloader with ``--dev``. The other verbs build the same application in this
process: the models found are exactly those the server would host.
"""
from __future__ import annotations

import csv
import io
import os
import sys
from pathlib import Path
from typing import IO, Any, Iterator

import click
import orjson

EXIT_INVALID_ROWS = 1

INPUT_FORMATS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
_CLI_LOG_LEVEL = "WARNING"  # data on stdout, only problems on stderr


def _build_app():
    from . import create_app

    return create_app({"LOG_LEVEL": os.environ.get("MODEL_SERVICE_LOG_LEVEL", _CLI_LOG_LEVEL)})


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="model-service", prog_name="model-service")
@click.option("--config", "-c", "config", envvar="MODEL_SERVICE_CONFIG",
              type=click.Path(exists=True, dir_okay=False),
              help="The models file [default: MODEL_SERVICE_CONFIG, else ./models.yaml if "
                   "present]; installed model packages are found either way.")
def main(config: str | None) -> None:
    """Host MLModel implementations behind a validated web service."""
    if config:  # read when the application is built, here and in every server process
        os.environ["MODEL_SERVICE_CONFIG"] = os.path.abspath(config)


# serve


@main.command(context_settings={"ignore_unknown_options": True})
@click.option("--host", envvar="HOST", default="127.0.0.1", show_default=True,
              help="Interface to listen on (environment: HOST); 0.0.0.0 for every interface.")
@click.option("--port", envvar="PORT", default=8000, type=click.IntRange(0, 65535),
              show_default=True, help="Port to listen on (environment: PORT).")
@click.option("--workers", "-w", type=click.IntRange(min=1), default=None,
              help="Worker processes [default: WEB_CONCURRENCY, else one per CPU, 2 to 8].")
@click.option("--log-level", envvar="MODEL_SERVICE_LOG_LEVEL", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False))
@click.option("--dev", is_flag=True,
              help="Development server: Flask's reloader and debugger, one process.")
@click.argument("gunicorn_args", nargs=-1, type=click.UNPROCESSED)
def serve(host: str, port: int, workers: int | None, log_level: str, dev: bool,
          gunicorn_args: tuple[str, ...]) -> None:
    """Serve the models over HTTP with gunicorn (models load once, before the workers fork).

    Options after "--" go to gunicorn as they are, e.g. "-- --timeout 120".
    """
    os.environ["MODEL_SERVICE_LOG_LEVEL"] = log_level.upper()
    if dev:
        _serve_dev(host, port)
        return
    from .serving import serve as run_gunicorn

    options = {"bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
               "workers": workers, "loglevel": log_level.lower()}
    run_gunicorn(options, list(gunicorn_args))


def _serve_dev(host: str, port: int) -> None:
    from werkzeug.serving import is_running_from_reloader, run_simple

    os.environ.setdefault("APP_SETTINGS", "development")
    app = None
    if is_running_from_reloader():  # the reloader's parent only watches files: no models there
        from . import create_app
        from .serving import level_override

        app = create_app(level_override())

    def application(environ, start_response):
        return app(environ, start_response)

    run_simple(host, port, application, use_reloader=True, use_debugger=True, threaded=True)


# list


@main.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_models(as_json: bool) -> None:
    """List the models found: name, version, status and where each comes from."""
    from .manager import get_manager

    models = get_manager(_build_app()).all()
    rows = [{"name": m.name, "version": m.version, "status": m.status, "source": m.source,
             "class_path": m.class_path, "error": m.error} for m in models]
    if as_json:
        click.echo(orjson.dumps({"models": rows}, option=orjson.OPT_INDENT_2).decode())
        return
    if not rows:
        click.echo("No models found (no models.yaml here and no installed model packages).",
                   err=True)
        return
    headers = ("NAME", "VERSION", "STATUS", "SOURCE")
    table = [headers] + [(r["name"], r["version"], r["status"], r["source"]) for r in rows]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(headers))]
    for row in table:
        click.echo("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
    for row in rows:
        if row["error"]:
            click.echo(f"{row['name']}: {row['error']}", err=True)


# openapi


def build_openapi_document(app) -> dict:
    """The OpenAPI document the application serves at ``/api/openapi.json``."""
    try:
        from . import openapi
    except ImportError:
        openapi = None
    if openapi is not None and hasattr(openapi, "build_spec"):
        from .auth import add_security_schemes

        with app.app_context():  # the schemes are added once, whoever adds them first
            return add_security_schemes(openapi.build_spec(app), app)
    raise click.ClickException("This build of Model Service has no OpenAPI document builder.")


@main.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              show_default=True, help="File to write ('-': standard output).")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default=None,
              help="Document format [default: from the file's extension, else yaml].")
def openapi(output: str, fmt: str | None) -> None:
    """Write the OpenAPI document (the one served at /api/openapi.json)."""
    document = build_openapi_document(_build_app())
    fmt = fmt or ("json" if output.endswith(".json") else "yaml")
    if fmt == "json":
        text = orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n"
    else:
        import yaml

        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    with click.open_file(output, "w", encoding="utf-8") as handle:
        handle.write(text)
    if output != "-":
        click.echo(f"Wrote {output}", err=True)


# predict


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
    """Turn CSV text cells into the JSON types the model's input schema asks for."""
    properties = json_schema.get("properties", {})

    def types_of(name: str) -> list[str]:
        declared = properties.get(name, {}).get("type", "string")
        return [declared] if isinstance(declared, str) else list(declared)

    def convert(name: str, text: str) -> Any:
        types = types_of(name)
        if "integer" in types and text.lstrip("+-").isdigit():
            return int(text)
        if "number" in types or "integer" in types:
            try:
                number = float(text)
            except ValueError:
                raise ValueError(f"Not a valid number: {text!r}.") from None
            return int(number) if "integer" in types and number.is_integer() else number
        if "boolean" in types:
            lowered = text.lower()
            if lowered in ("true", "1", "yes"):
                return True
            if lowered in ("false", "0", "no"):
                return False
            raise ValueError(f"Not a valid boolean: {text!r}.")
        if "object" in types or "array" in types:
            try:
                return orjson.loads(text)
            except orjson.JSONDecodeError:
                raise ValueError(f"Not valid JSON: {text!r}.") from None
        return text

    def row(record: dict) -> dict | RowError:
        data, errors = {}, {}
        for name, text in record.items():
            if name is None:
                errors["_schema"] = ["More cells than columns in the header."]
                continue
            if text is None or text == "":
                continue  # an empty cell is a missing value
            try:
                data[name] = convert(name, text)
            except ValueError as error:
                errors[name] = [str(error)]
        return RowError(errors) if errors else data

    return row


def _read_csv(stream: IO[bytes], json_schema: dict) -> Iterator[Any]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    convert = _csv_converter(json_schema)
    for record in csv.DictReader(text):
        yield convert(record)


def _flatten(errors: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Yield ``(field path, message)`` pairs from marshmallow-style nested errors."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = str(key) if key != "_schema" else ""
            path = f"{prefix}.{name}" if prefix and name else (name or prefix)
            yield from _flatten(value, path)
    elif isinstance(errors, list):
        for item in errors:
            yield from _flatten(item, prefix)
    else:
        yield prefix or "(row)", str(errors)


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
    from . import prediction
    from .errors import ModelServiceError
    from .manager import get_manager

    app = _build_app()
    manager = get_manager(app)
    try:
        hosted = manager.get_ready(name)
    except ModelServiceError as error:
        names = ", ".join(sorted(m.name for m in manager.all())) or "none"
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
        for field, message in _flatten(errors):
            click.echo(f"row {number}: {field}: {message}", err=True)
        if fail_fast:
            raise click.ClickException(f"Stopped at invalid row {number} (--fail-fast).")

    def flush() -> None:
        if not pending:
            return
        numbers = [number for number, _ in pending]
        try:
            results = prediction.run_predict_batch(hosted, [data for _, data in pending])
        except ModelServiceError as error:
            stats["failed"] += len(pending)
            click.echo(f"rows {numbers[0]}-{numbers[-1]}: {error.detail}", err=True)
            pending.clear()
            if fail_fast:
                raise click.ClickException("Stopped at a failed batch (--fail-fast).") from None
            return
        lines = []
        for number, result in zip(numbers, results):
            item = {"row": number, "result": result} if row_numbers else result
            lines.append(orjson.dumps(item, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")
        write(b"".join(lines))
        stats["ok"] += len(pending)
        pending.clear()

    with app.app_context(), click.progressbar(length=total, file=sys.stderr,
                                              label=f"Predicting with {name}",
                                              hidden=not show) as bar:
        last = number = 0
        for number, row in enumerate(rows, start=1):
            if isinstance(row, RowError):
                report_invalid(number, row.errors)
            else:
                try:
                    pending.append((number, prediction.validate_one(hosted, row)))
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


if __name__ == "__main__":  # pragma: no cover
    main()
