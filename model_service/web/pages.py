"""The HTML pages: the catalog, each model's metadata, and its prediction form.

The form is generated from the model's input JSON Schema (``schema_view.py`` reads it,
``form_binding.py`` binds it, the macros in ``templates/_fields.html`` render it). A submitted form
becomes the JSON object an API client would send (``form_parsing.py``) and goes through the
same pipeline as the API (``core/pipeline.py``), so the page and the API accept, reject and
answer exactly alike.
"""
from __future__ import annotations

import json
import shlex

from flask import Blueprint, Flask, current_app, render_template, request, url_for
from flask_bootstrap import Bootstrap5
from flask_wtf import FlaskForm

from ..core import pipeline
from ..core.errors import ModelBusy, ModelFailure, ModelTimeout, ValidationFailed
from ..core.registry import HostedModel
from ..core.validation import model_json_schemas
from ..core.values import json_text
from ..hosting import get_registry
from ..protocols.errors import register_error_handlers
from .errors import html_error
from .form_binding import bind
from .form_parsing import locate_errors, parse_form
from .results import result_rows
from .schema_view import build_tree, example_value

bp = Blueprint("pages", __name__)
register_error_handlers(bp, html_error)

EXPIRED_FORM = ("The form had expired, so nothing was sent to the model. "
                "Check the values and submit again.")


class CSRFForm(FlaskForm):
    """The prediction form's CSRF token (Flask-WTF); the model's fields come from its schema."""


@bp.get("/")
def catalog():
    """List every hosted model with its status and links to its pages."""
    models = get_registry(current_app).all()
    return render_template("catalog.html", models=models)


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
        return _form_page(hosted, bind(tree), csrf)

    status, errors, form_errors, result, sent = 200, {}, [], None, None
    if not csrf.validate():
        # A stale or forged token: predict nothing, but keep what was typed for a resubmit.
        status, form_errors = 400, [EXPIRED_FORM]
    else:
        sent, locations = parse_form(tree, request.form)
        try:
            result = pipeline.run_predict(hosted, pipeline.validate_one(hosted, sent))
        except ValidationFailed as error:
            errors = locate_errors(error.errors, locations)
            status, form_errors = error.status, [error.detail] + errors.pop("", [])
        except (ModelFailure, ModelBusy, ModelTimeout) as error:  # shown with what was typed
            status, form_errors = error.status, [error.detail]
    page = _form_page(hosted, bind(tree, request.form, errors), csrf, form_errors=form_errors,
                      result=result, sent=sent)
    return page, status


def _form_page(hosted: HostedModel, form, csrf: FlaskForm, *, form_errors=(), result=None,
               sent=None) -> str:
    return render_template(
        "predict.html",
        hosted=hosted,
        form=form,
        csrf=csrf,
        form_errors=form_errors,
        result=result,
        result_rows=result_rows(result) if result is not None else [],
        result_json=_pretty(result) if result is not None else "",
        sent_json=_pretty(sent) if sent is not None else "",
    )


def _pretty(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def example_input(hosted: HostedModel, tree) -> dict:
    """The model's first valid example, else one built from the schema."""
    return hosted.examples[0] if hosted.examples else example_value(tree)


def curl_example(hosted: HostedModel, tree) -> str:
    """A ``curl`` command that makes one prediction against this server, ready to paste."""
    url = url_for("api.predict", name=hosted.name, _external=True)
    body = json.dumps(example_input(hosted, tree), ensure_ascii=False)
    return (f"curl -X POST {shlex.quote(url)} \\\n"
            f"  -H 'Content-Type: application/json' \\\n"
            f"  -d {shlex.quote(body)}")


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


def init_app(app: Flask) -> None:
    """Register the pages (errors as HTML pages) and serve Bootstrap from our own origin."""
    Bootstrap5(app)  # BOOTSTRAP_SERVE_LOCAL: no other origin
    app.register_blueprint(bp)
