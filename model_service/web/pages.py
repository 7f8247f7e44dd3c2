"""The HTML pages: the catalog, each model's metadata, and its prediction form.

The form is generated from the model's input JSON Schema (``schema_view.py`` reads it,
``form_binding.py`` binds it, the macros in ``templates/_fields.html`` render it). A submitted form
becomes the JSON object an API client would send (``form_parsing.py``) and goes through the
same pipeline as the API (``core/pipeline.py``), so the page and the API accept, reject and
answer exactly alike.
"""
from __future__ import annotations

import base64
import json

from flask import Blueprint, Flask, current_app, render_template, request, url_for
from flask_bootstrap import Bootstrap5
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from ..core import pipeline
from ..core.errors import ModelBusy, ModelFailure, ModelTimeout, ValidationFailed
from ..core.registry import HostedModel
from ..core.validation import model_json_schemas
from ..core.values import json_text
from ..hosting import get_registry
from ..protocols.errors import register_error_handlers
from .errors import current_request_id, html_error
from .form_binding import bind, form_values
from .form_parsing import locate_errors, parse_form
from .messages import FIELDS_NEED_ATTENTION, MESSAGE_RULES, errors_in_words
from .catalog_view import catalog_cards, matches
from .display import curl_command, format_number, format_percent, js_json, output_hints, result_rows
from .schema_view import build_tree, example_value

bp = Blueprint("pages", __name__)
register_error_handlers(bp, html_error)

EXPIRED_FORM = ("The form had expired, so nothing was sent to the model. "
                "Check the values and submit again.")


# Under a failure only the log explains: the id that finds it there (predict.js gets this too).
REQUEST_ID_NOTE = "Request id {}: quote it when you report this."


class CSRFForm(FlaskForm):
    """The prediction form's CSRF token (Flask-WTF); the model's fields come from its schema."""


@bp.get("/")
def catalog():
    """List every hosted model with its status and links to its pages."""
    cards = catalog_cards(get_registry(current_app).all())
    query = request.args.get("q", "").strip()[:200]
    shown = {card.hosted.name for card in cards if matches(card, query)}
    return render_template("catalog.html", cards=cards, shown=shown, query=query)


@bp.get("/models/<name>/metadata")
def metadata(name: str):
    """Describe one model: its fields as tables, its JSON Schemas, and a curl example."""
    hosted = get_registry(current_app).get(name)
    context = {"hosted": hosted}
    if hosted.input_validator is not None and hosted.output_validator is not None:
        input_schema, output_schema = model_json_schemas(hosted.name, hosted.model_class)
        input_tree = build_tree(input_schema)
        context.update(
            input_tree=input_tree,
            output_tree=build_tree(output_schema),
            input_json=_pretty(input_schema),
            output_json=_pretty(output_schema),
            curl=curl_example(hosted, input_tree),
        )
    return render_template("metadata.html", **context)


@bp.route("/models/<name>/predict", methods=["GET", "POST"])
def predict(name: str):
    """Show the form generated from the input schema; on POST, predict or show field errors."""
    hosted = get_registry(current_app).get_ready(name)
    tree = build_tree(hosted.input_validator.json_schema)
    csrf = CSRFForm()
    if request.method == "GET":
        asked = request.args.get("example")
        if asked is None:
            return _form_page(hosted, bind(tree), csrf)
        example = _example(hosted, asked)
        if example is None:
            count = len(hosted.examples)
            return html_error(404, f"Model '{hosted.name}' has no example {asked[:40]!r}; it has "
                                   f"{count} example{'' if count == 1 else 's'}.")
        return _form_page(hosted, bind(tree, form_values(tree, example)), csrf, example=asked)

    status, errors, form_errors, result, sent = 200, {}, [], None, None
    posted = request.form
    if not csrf.validate():
        # A stale or forged token: predict nothing, but keep what was typed for a resubmit.
        status, form_errors = 400, [EXPIRED_FORM]
    else:
        posted = with_uploads(tree, request.form, request.files)
        sent, locations = parse_form(tree, posted)
        try:
            result = pipeline.run_predict(hosted, pipeline.validate_one(hosted, sent))
        except ValidationFailed as error:
            # In people's words on the page; the API says it exactly (web/messages.py).
            errors = locate_errors(errors_in_words(error.errors), locations)
            status, form_errors = error.status, [FIELDS_NEED_ATTENTION] + errors.pop("", [])
        except (ModelFailure, ModelBusy, ModelTimeout) as error:  # shown with what was typed
            status, form_errors = error.status, [error.detail]
            if current_request_id():
                form_errors.append(REQUEST_ID_NOTE.format(current_request_id()))
    page = _form_page(hosted, bind(tree, posted, errors), csrf, form_errors=form_errors,
                      result=result, sent=sent)
    return page, status


def with_uploads(tree, form, files):
    """The posted values, each chosen file folded in as a ``data:`` URI under its field's name.

    The media field reads a data URI as it reads an upload (type by content, size, pixels), so
    the form has one path for both; and a page shown again after an error keeps the file (in a
    hidden input, with its preview) instead of asking for it again.
    """
    if not files:
        return form
    posted = MultiDict(form)
    media = {child.key: child.schema.get("x-mediaTypes") or [] for child in tree.children
             if child.kind == "media"}
    for name, upload in files.items():
        content = upload.read()
        if name in media and content:
            # The browser's guess of a type (from the file name) stands only when the field
            # takes it; otherwise the content alone decides, and its error says what it is.
            kind = upload.mimetype if upload.mimetype in media[name] else "application/octet-stream"
            posted[name] = f"data:{kind};base64,{base64.b64encode(content).decode()}"
    return posted


def _example(hosted: HostedModel, asked: str):
    """The example ``?example=N`` names (counted from 1, as the page lists them), or None."""
    if asked.isascii() and asked.isdigit() and 1 <= int(asked) <= len(hosted.examples):
        return hosted.examples[int(asked) - 1]
    return None


def _form_page(hosted: HostedModel, form, csrf: FlaskForm, *, form_errors=(), result=None,
               sent=None, example=None) -> str:
    # Written as the page's script writes them (display.js), so a result reads the same either way.
    hints = output_hints(build_tree(hosted.output_validator.json_schema))
    api_url = url_for("api.predict", name=hosted.name, _external=True)
    return render_template(
        "predict.html",
        hosted=hosted,
        form=form,
        csrf=csrf,
        form_errors=form_errors,
        result=result,
        output_hints=hints,
        result_rows=result_rows(result, hints) if result is not None else [],
        result_json=js_json(result, indent=2) if result is not None else "",
        sent_json=js_json(sent, indent=2) if sent is not None else "",
        curl=curl_command(api_url, sent) if sent is not None else "",
        example=example,
        message_rules=MESSAGE_RULES,
        fields_need_attention=FIELDS_NEED_ATTENTION,
        request_id_note=REQUEST_ID_NOTE,
    )


def _pretty(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def example_input(hosted: HostedModel, tree) -> dict:
    """The model's first valid example, else one built from the schema."""
    return hosted.examples[0] if hosted.examples else example_value(tree)


def curl_example(hosted: HostedModel, tree) -> str:
    """A ``curl`` command that makes one prediction against this server, ready to paste."""
    url = url_for("api.predict", name=hosted.name, _external=True)
    return curl_command(url, example_input(hosted, tree))


@bp.app_context_processor
def site_context() -> dict:
    """Give every template (error pages too) the service version and the navbar's links."""
    rules = {rule.rule for rule in current_app.url_map.iter_rules()}
    return {
        "service_version": current_app.config.get("SERVICE_VERSION", ""),
        # The interactive docs are another blueprint's; link them only where they are served.
        "api_docs_url": next((path for path in ("/api/docs", "/api/docs/") if path in rules), None),
    }


bp.add_app_template_filter(json_text, "json_text")
bp.add_app_template_filter(format_number, "number")
bp.add_app_template_filter(format_percent, "percent")


def init_app(app: Flask) -> None:
    """Register the pages (errors as HTML pages) and serve Bootstrap from our own origin."""
    from . import batch  # it builds on this module's form and messages

    Bootstrap5(app)  # BOOTSTRAP_SERVE_LOCAL: no other origin
    app.register_blueprint(bp)
    app.register_blueprint(batch.bp)
