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


STANDARD_MODELS = [IRIS, ECHO, RAISING, BAD_OUTPUT, LOAD_FAILING]


def build_app(directory: Path, models: list[dict], discover: bool = False, **config):
    """Build an app hosting exactly ``models`` (no entry-point discovery unless asked)."""
    path = write_models_file(directory, models, discover)
    return create_app({"TESTING": True, "MODEL_SERVICE_CONFIG": str(path), **config},
                      settings="testing")


@pytest.fixture
def make_app(tmp_path):
    def factory(models: list[dict], discover: bool = False, **config):
        return build_app(tmp_path, models, discover, **config)

    return factory


@pytest.fixture
def app(make_app):
    return make_app(STANDARD_MODELS)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    """The standard app served over real HTTP, shared by a module; yields its base URL."""
    app = build_app(tmp_path_factory.mktemp("live"), STANDARD_MODELS)
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
