"""Shared fixtures: apps built from a models file written per test, and real servers."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from model_service import create_app
from servers import ThreadedServer

pytest_plugins = ["browser_support"]  # chromium + Playwright fixtures for tests/browser/

IRIS_ROW = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}
IRIS = {"class_path": "iris_model.IrisModel"}
ECHO = {"class_path": "fixture_models.echo_model.EchoModel"}
RAISING = {"class_path": "fixture_models.raising_model.RaisingModel"}
BAD_OUTPUT = {"class_path": "fixture_models.bad_output_model.BadOutputModel"}
LOAD_FAILING = {"class_path": "fixture_models.load_failing_model.LoadFailingModel"}
RICH = {"class_path": "fixture_models.rich_model.RichModel"}
SCRIPT = {"class_path": "fixture_models.script_model.ScriptModel"}


def write_models_file(directory: Path, models: list[dict], discover: bool = False) -> Path:
    path = directory / "models.yaml"
    path.write_text(yaml.safe_dump({"discover_entry_points": discover, "models": models}))
    return path


@pytest.fixture
def make_app(tmp_path):
    """Build an app hosting exactly ``models`` (no entry-point discovery unless asked)."""

    def factory(models: list[dict], discover: bool = False, **config):
        path = write_models_file(tmp_path, models, discover)
        return create_app({"TESTING": True, "MODEL_SERVICE_CONFIG": str(path), **config},
                          settings="testing")

    return factory


@pytest.fixture
def app(make_app):
    return make_app([IRIS, ECHO, RAISING, BAD_OUTPUT, LOAD_FAILING])


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def live_app(app):
    """The standard app served over real HTTP; yields its base URL."""
    with ThreadedServer(app) as server:
        yield server.url


@pytest.fixture
def serve():
    """Serve any app over real HTTP for the duration of a test."""
    servers = []

    def start(app) -> str:
        server = ThreadedServer(app).__enter__()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.__exit__(None, None, None)
