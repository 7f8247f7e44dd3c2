"""``model-service serve``: gunicorn with the shared settings, or Flask's reloader with --dev."""
from __future__ import annotations

import os

import click

from .group import main
from .context import service_settings


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
    preflight()
    if dev:
        _serve_dev(host, port)
        return
    from ..ops.serving import serve as run_gunicorn

    options = {"bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
               "workers": workers, "loglevel": log_level.lower()}
    run_gunicorn(options, list(gunicorn_args))


def _serve_dev(host: str, port: int) -> None:
    from werkzeug.serving import is_running_from_reloader, run_simple

    os.environ.setdefault("APP_SETTINGS", "development")
    app = None
    if is_running_from_reloader():  # the reloader's parent only watches files: no models there
        from ..app import create_app
        from ..ops.serving import level_override

        app = create_app(level_override())

    def application(environ, start_response):
        return app(environ, start_response)

    run_simple(host, port, application, use_reloader=True, use_debugger=True, threaded=True)


def preflight() -> None:
    """Refuse to start on a bad setting or models file: one message, before any process forks."""
    from ..core.batching import BatchSettings
    from ..core.specs import read_models_file

    settings = service_settings()
    path = settings["MODEL_SERVICE_CONFIG"]
    if path is not None:
        read_models_file(path, BatchSettings())
