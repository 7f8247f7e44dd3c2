"""The gunicorn application behind ``model-service serve``: settings, metrics directory, flag."""
import os

import pytest
from prometheus_client import values

from model_service.ops.serving import ServeApplication, ShutdownFlag, prepare_metrics_dir


@pytest.fixture
def isolated_prometheus(monkeypatch):
    """Let a test switch prometheus-client to multiprocess mode and switch it back after."""
    monkeypatch.setattr(values, "ValueClass", values.ValueClass)
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    return monkeypatch


def test_settings_come_from_the_shared_file_then_environment_then_extra_args_then_options(
        monkeypatch):
    monkeypatch.setenv("GUNICORN_CMD_ARGS", "--keep-alive 7 --timeout 11")
    application = ServeApplication({"workers": 3, "bind": ["127.0.0.1:9999"]},
                                   ["--timeout", "99"])
    cfg = application.cfg
    assert cfg.preload_app is True  # from model_service.gunicorn_conf
    assert cfg.keepalive == 7  # GUNICORN_CMD_ARGS
    assert cfg.timeout == 99  # extra arguments after "--" win over the environment
    assert cfg.workers == 3 and cfg.bind == ["127.0.0.1:9999"]  # the command's own options
    assert cfg.control_socket_disable is True  # nothing written under $HOME


def test_the_control_socket_can_be_asked_for(monkeypatch, tmp_path):
    import importlib

    from model_service.ops import gunicorn_conf

    monkeypatch.setenv("GUNICORN_CONTROL_SOCKET", str(tmp_path / "g.ctl"))
    try:
        importlib.reload(gunicorn_conf)
        assert gunicorn_conf.control_socket_disable is False
        assert gunicorn_conf.control_socket == str(tmp_path / "g.ctl")
    finally:
        monkeypatch.delenv("GUNICORN_CONTROL_SOCKET")
        importlib.reload(gunicorn_conf)


def test_default_workers_follow_web_concurrency_or_the_cpus(monkeypatch):
    from model_service.gunicorn_conf import default_workers

    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    assert default_workers() == 5
    monkeypatch.delenv("WEB_CONCURRENCY")
    assert 2 <= default_workers() <= 8


def test_a_given_metrics_directory_is_emptied_of_stale_values(isolated_prometheus, tmp_path):
    stale = tmp_path / "counter_123.db"
    stale.write_bytes(b"old")
    isolated_prometheus.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    directory, owned = prepare_metrics_dir()
    assert directory == str(tmp_path) and owned is False
    assert not stale.exists()


def test_without_a_metrics_directory_a_fresh_one_is_made(isolated_prometheus, tmp_path):
    isolated_prometheus.setenv("TMPDIR", str(tmp_path))
    import tempfile

    isolated_prometheus.setattr(tempfile, "tempdir", None)
    directory, owned = prepare_metrics_dir()
    assert owned is True and os.environ["PROMETHEUS_MULTIPROC_DIR"] == directory
    assert directory.startswith(str(tmp_path)) and os.listdir(directory) == []


def test_readyz_answers_503_once_the_flag_is_set(app):
    flag = ShutdownFlag()
    app.config["SHUTTING_DOWN"] = flag
    client = app.test_client()
    ready_before = client.get("/readyz")
    flag.set()
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json["status"] == "shutting down"
    assert ready_before.json["status"] != "shutting down"
