"""The batch page: many rows through one model from the browser, as ``model-service predict`` does.

Rows come from an uploaded file (CSV, JSON Lines or a JSON array) or pasted text, and go through
``core/rows.py``, the command line's own path: the same readers, validation, batched calls and
limits. The page shows the outcome as a table (bad rows' errors by row number and field, in
people's words) or answers with a CSV or JSON Lines download. It is a plain form POST, so it
works without JavaScript for anything within the body limit; ``static/js/batch.js`` adds upload
progress and keeps the page (and the chosen file) in place.
"""
from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field

from flask import Blueprint, Response, current_app, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..core.errors import ModelServiceError
from ..core.registry import HostedModel
from ..core.rows import (FORMATS, RowOutcome, RowsUnreadable, detect_format, flatten,
                         predict_in_batches, read_rows, table_columns, write_csv, write_jsonl)
from ..core.values import flatten_errors, json_text
from ..hosting import get_registry
from ..protocols.errors import register_error_handlers
from .display import format_number
from .errors import html_error
from .messages import errors_in_words
from .pages import CSRFForm, EXPIRED_FORM

bp = Blueprint("batch", __name__)
register_error_handlers(bp, html_error)

BATCH_SIZE = 256  # rows per model call, as ``model-service predict`` by default
MAX_SHOWN_ROWS = 500  # rows drawn in the table; every row is in the downloads
MAX_INLINE_DOWNLOAD = 2 * 1024 * 1024  # bytes: larger results are downloaded by a new POST
OUTPUTS = {"csv": ("text/csv", "csv"), "jsonl": ("application/x-ndjson", "jsonl")}


@dataclass
class BatchRun:
    """What one submitted batch became, ready for the page."""

    outcomes: list[RowOutcome]
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)

    @property
    def predicted(self) -> int:
        return sum(outcome.ok for outcome in self.outcomes)

    @property
    def problems(self) -> list[RowOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.ok]

    @property
    def shown(self) -> list[RowOutcome]:
        return self.outcomes[:MAX_SHOWN_ROWS]


def problem_lines(outcome: RowOutcome) -> list[str]:
    """What is wrong with one row, one line per field: ``sepal_length: Not a number.``"""
    if outcome.failure is not None:
        return [outcome.failure]
    return [f"{'.'.join(path) or 'row'}: {message}"
            for path, message in flatten_errors(errors_in_words(outcome.errors))]


def cells(outcome: RowOutcome, run: BatchRun) -> tuple[list[str], list[str]]:
    """A row's input and output cells as shown (numbers rounded by the pages' rule)."""
    given = flatten(outcome.row) if isinstance(outcome.row, dict) else {}
    result = flatten(outcome.result) if outcome.result is not None else {}
    return ([_shown(given.get(name)) for name in run.inputs],
            [_shown(result.get(name)) for name in run.outputs])


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_number(value)
    return json_text(value)


def _download_name(hosted: HostedModel, extension: str) -> str:
    return f"{hosted.name}-predictions.{extension}"


def _file_body(run: BatchRun, kind: str) -> bytes:
    if kind == "csv":
        return write_csv(run.outcomes, lambda outcome: "; ".join(problem_lines(outcome))).encode()
    return write_jsonl(run.outcomes)


def _data_url(run: BatchRun, kind: str) -> str | None:
    """The download as a ``data:`` URL for a link, when it is small enough to hold in the page."""
    body = _file_body(run, kind)
    if len(body) > MAX_INLINE_DOWNLOAD:
        return None
    media_type = OUTPUTS[kind][0]
    return f"data:{media_type};base64,{base64.b64encode(body).decode()}"


class BadBatch(Exception):
    """A submission that holds no rows to run; the message says what to do."""


def _parse_form() -> None:
    """Read the multipart body; pasted text over the form-field limit is a message, not a 413."""
    try:
        request.form, request.files  # noqa: B018 - parses the body once, here
    except RequestEntityTooLarge:
        body_limit = current_app.config.get("MAX_CONTENT_LENGTH")
        if body_limit is not None and (request.content_length or 0) > body_limit:
            raise  # the whole body is over the limit: the site's 413 page says so
        limit = current_app.config.get("MAX_FORM_MEMORY_SIZE")
        raise BadBatch(f"Pasted rows are limited to {limit} bytes; upload larger data as a "
                       "file instead.") from None


def _read_submission() -> tuple[str, bytes, str]:
    """``(name, content, pasted text)`` of the uploaded file, else of the pasted rows."""
    upload = request.files.get("file")
    pasted = request.form.get("rows", "")
    if upload is not None and upload.filename:
        return upload.filename, upload.read(), pasted
    return "pasted rows", pasted.replace("\r\n", "\n").encode("utf-8"), pasted


def _run(hosted: HostedModel) -> BatchRun:
    name, content, _ = _read_submission()
    if not content.strip():
        raise BadBatch("Choose a file or paste some rows first.")
    chosen = request.form.get("format", "auto")
    fmt = chosen if chosen in FORMATS else detect_format(name, content[:64])
    try:
        rows = read_rows(io.BytesIO(content), fmt, hosted.input_validator.json_schema)
        outcomes = [outcome for batch in predict_in_batches(hosted, rows, BATCH_SIZE)
                    for outcome in batch]
    except RowsUnreadable as error:
        raise BadBatch(str(error)) from None
    except UnicodeDecodeError:
        raise BadBatch("The CSV file is not UTF-8 text; save it as UTF-8 and try again.") from None
    except Exception as error:  # csv.Error and the like: the file, not the service
        if isinstance(error, ModelServiceError):
            raise
        raise BadBatch(f"The {fmt.upper()} input cannot be read: {error}") from None
    if not outcomes:
        raise BadBatch(f"The {fmt.upper()} input holds no rows.")
    run = BatchRun(outcomes)
    run.inputs, run.outputs = table_columns(outcomes)
    return run


@bp.route("/models/<name>/batch", methods=["GET", "POST"])
def batch(name: str):
    """Show the batch form; on POST run the rows and show the table, or send a download."""
    hosted = get_registry(current_app).get_ready(name)
    context = {"hosted": hosted, "run": None, "form_errors": [], "pasted": "",
               "chosen_format": "auto", "formats": FORMATS}
    if request.method == "GET":
        return render_template("batch.html", csrf=CSRFForm(), **context)
    try:
        _parse_form()  # before the CSRF form reads it
    except BadBatch as error:
        context["form_errors"] = [str(error)]
        # A fresh token, without reading the body that could not be read.
        return render_template("batch.html", csrf=CSRFForm(formdata=None), **context), 413
    csrf = context["csrf"] = CSRFForm()
    status = 200
    if not csrf.validate():
        status, context["form_errors"] = 400, [EXPIRED_FORM]
    else:
        try:
            context["pasted"] = request.form.get("rows", "")
            context["chosen_format"] = request.form.get("format", "auto")
            run = _run(hosted)
        except BadBatch as error:
            status, context["form_errors"] = 422, [str(error)]
        else:
            kind = request.form.get("output", "html")
            if kind in OUTPUTS:
                media_type, extension = OUTPUTS[kind]
                return Response(_file_body(run, kind), mimetype=media_type, headers={
                    "Content-Disposition":
                        f'attachment; filename="{_download_name(hosted, extension)}"'})
            context.update(run=run, downloads={
                kind: (_data_url(run, kind), _download_name(hosted, OUTPUTS[kind][1]))
                for kind in OUTPUTS})
    return render_template("batch.html", problem_lines=problem_lines, cells=cells,
                           max_shown=MAX_SHOWN_ROWS, **context), status
