"""Shared fixtures: apps built from a models file written per test, and real servers."""
from __future__ import annotations

import pytest

from helpers import STANDARD_MODELS, build_app
from servers import FIXTURES, ThreadedServer

pytest_plugins = ["browser_support"]  # chromium + Playwright fixtures for tests/browser/


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


@pytest.fixture
def installed_fixture_package(monkeypatch):
    """Make the ``fixture-models`` distribution (an ``echo_model`` entry point) installed."""
    monkeypatch.syspath_prepend(str(FIXTURES / "distributions"))
