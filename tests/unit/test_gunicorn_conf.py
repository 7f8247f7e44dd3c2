"""The shared production server settings."""
import importlib

import pytest


@pytest.fixture
def conf(monkeypatch):
    def load(**env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        import model_service.ops.gunicorn_conf as module
        return importlib.reload(module)

    yield load
    import model_service.ops.gunicorn_conf as module
    monkeypatch.undo()
    importlib.reload(module)


class FakeRequest:
    def __init__(self, connection):
        self.unreader = connection
        self.must_close = False


def test_workers_are_threaded_by_default_so_requests_can_be_batched(conf):
    settings = conf()
    assert settings.worker_class == "model_service.ops.worker.GuardedThreadWorker"
    assert settings.threads > 1
    assert settings.preload_app


def test_worker_settings_can_be_overridden_from_the_environment(conf):
    settings = conf(GUNICORN_WORKER_CLASS="sync", GUNICORN_THREADS="3", WEB_CONCURRENCY="5")
    assert (settings.worker_class, settings.threads, settings.workers) == ("sync", 3, 5)


def test_a_kept_alive_connection_is_closed_after_its_quota_of_requests(conf):
    settings = conf(GUNICORN_KEEPALIVE_REQUESTS="3")
    connection, other = object.__new__(type("Conn", (), {})), object.__new__(type("Conn", (), {}))
    closes = []
    for _ in range(3):
        request = FakeRequest(connection)
        settings.pre_request(None, request)
        closes.append(request.must_close)
    assert closes == [False, False, True]
    request = FakeRequest(other)
    settings.pre_request(None, request)
    assert not request.must_close


def test_the_connection_quota_can_be_switched_off(conf):
    settings = conf(GUNICORN_KEEPALIVE_REQUESTS="0")
    connection = object.__new__(type("Conn", (), {}))
    for _ in range(500):
        request = FakeRequest(connection)
        settings.pre_request(None, request)
        assert not request.must_close
