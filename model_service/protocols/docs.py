"""Serve the OpenAPI document (JSON and YAML) and the interactive Swagger UI page.

The document is built once, when the application is created, after every other blueprint is
registered; the endpoints below only send the prepared bytes. Swagger UI's assets come from the
``flask-swagger-ui`` package and are served from our own origin, and the page's start-up code is a
static file, so the strict Content-Security-Policy (no inline script, no other origin) holds.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib.resources import files

import orjson
from flask import Blueprint, Flask, current_app, render_template, request, send_from_directory

from .errors import register_error_handlers
from .native.problems import problem_response
from .openapi import build_spec, to_yaml

bp = Blueprint("docs", __name__, url_prefix="/api")
register_error_handlers(bp, problem_response)

EXTENSION_KEY = "openapi"
SWAGGER_UI_DIST = str(files("flask_swagger_ui") / "dist")


@dataclass(frozen=True)
class OpenAPIDocument:
    """The built document and its two serialisations, ready to send."""

    document: dict
    json: bytes
    yaml: str
    etag: str

    @classmethod
    def build(cls, app: Flask) -> "OpenAPIDocument":
        document = build_spec(app)
        as_json = orjson.dumps(document, option=orjson.OPT_INDENT_2)
        return cls(document, as_json, to_yaml(document), hashlib.sha256(as_json).hexdigest()[:32])


def get_document(app: Flask) -> OpenAPIDocument:
    return app.extensions[EXTENSION_KEY]


def init_app(app: Flask) -> None:
    """Register the docs routes and build the document; call after every other blueprint."""
    app.register_blueprint(bp)
    app.extensions[EXTENSION_KEY] = OpenAPIDocument.build(app)


def _send(body: bytes | str, mimetype: str):
    document = get_document(current_app)
    response = current_app.response_class(body, mimetype=mimetype)
    response.set_etag(document.etag)
    response.headers["Cache-Control"] = "no-cache"  # revalidate: the document changes on restart
    return response.make_conditional(request)


@bp.get("/openapi.json")
def openapi_json():
    """Send the OpenAPI document as JSON.
    ---
    get:
      operationId: getOpenapiJson
      summary: The OpenAPI 3.1 document of this service, as JSON.
      tags: [documentation]
      responses:
        "200":
          description: This document.
          content:
            application/json:
              schema:
                type: object
                required: [openapi, info, paths]
        "304":
          description: Unchanged since the ETag sent in If-None-Match.
    """
    return _send(get_document(current_app).json, "application/json")


@bp.get("/openapi.yaml")
def openapi_yaml():
    """Send the OpenAPI document as YAML.
    ---
    get:
      operationId: getOpenapiYaml
      summary: The OpenAPI 3.1 document of this service, as YAML.
      tags: [documentation]
      responses:
        "200":
          description: This document.
          content:
            application/yaml:
              schema:
                type: object
                required: [openapi, info, paths]
        "304":
          description: Unchanged since the ETag sent in If-None-Match.
    """
    return _send(get_document(current_app).yaml, "application/yaml")


@bp.get("/docs")
def swagger_ui():
    """Show the interactive API documentation (an HTML page, not an API operation)."""
    return render_template("swagger.html")


@bp.get("/docs/assets/<path:filename>")
def swagger_asset(filename: str):
    """Send one of Swagger UI's own files (script, style sheet, icon)."""
    return send_from_directory(SWAGGER_UI_DIST, filename, max_age=3600)
