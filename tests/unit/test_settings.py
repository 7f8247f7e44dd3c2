"""Misconfiguration fails loudly: one message naming the file or variable, the key and what was
expected; the command line prints it without a traceback and exits 2; serve refuses to start."""
from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from helpers import ECHO, IRIS, write_models_file
from model_service import create_app, get_registry
from model_service.cli import main
from model_service.config import settings_from_environment
from model_service.core.errors import ConfigurationError


def refused(env: dict, *args: str):
    """Run the command with ``env``; assert it refused with one line and exit status 2."""
    result = CliRunner().invoke(main, list(args) or ["list"], env=env)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    return lines[0]


def test_an_unknown_settings_name_is_refused(tmp_path):
    models = write_models_file(tmp_path, [ECHO])
    line = refused({"APP_SETTINGS": "devlopment", "MODEL_SERVICE_CONFIG": str(models)})
    assert "APP_SETTINGS" in line and "'devlopment'" in line and "development" in line


def test_the_settings_class_may_be_named_several_ways():
    from model_service.config import DevelopmentConfig, settings_class

    assert settings_class("config.DevelopmentConfig") is DevelopmentConfig
    assert settings_class("development") is DevelopmentConfig


def test_an_environment_value_of_the_wrong_type_is_refused(tmp_path):
    models = write_models_file(tmp_path, [ECHO])
    line = refused({"MODEL_SERVICE_MICRO_BATCH_MAX_WAIT_MS": "soon",
                    "MODEL_SERVICE_CONFIG": str(models)})
    assert "MODEL_SERVICE_MICRO_BATCH_MAX_WAIT_MS" in line and "'soon'" in line
    assert "milliseconds" in line


def test_a_fractional_wait_is_kept_not_rounded_to_a_default():
    settings = settings_from_environment({"MODEL_SERVICE_MICRO_BATCH_MAX_WAIT_MS": "0.5"})
    assert settings["MICRO_BATCH_MAX_WAIT_MS"] == 0.5


@pytest.mark.parametrize("variable, value, expected", [
    ("MODEL_SERVICE_MAX_BODY_BYTES", "10MB", "an integer"),
    ("MODEL_SERVICE_MICRO_BATCHING", "sometimes", "auto, off"),
    ("MODEL_SERVICE_LOG_LEVEL", "LOUD", "INFO"),
    ("MODEL_SERVICE_SECURE_COOKIES", "maybe", "1 or 0"),
])
def test_each_environment_variable_says_what_it_expects(variable, value, expected):
    with pytest.raises(ConfigurationError) as raised:
        settings_from_environment({variable: value})
    assert str(raised.value).startswith(variable) and expected in str(raised.value)


def test_an_unknown_key_in_a_model_entry_is_refused(tmp_path):
    models = write_models_file(tmp_path, [{**ECHO, "confguration": {"factor": 3}}])
    line = refused({"MODEL_SERVICE_CONFIG": str(models)})
    assert str(models) in line and "models[0]" in line and "'confguration'" in line
    assert "configuration" in line.split("expected", 1)[1]


def test_an_unknown_top_level_key_is_refused(tmp_path):
    path = tmp_path / "models.yaml"
    path.write_text("modles:\n  - class_path: iris_model.IrisModel\n")
    line = refused({"MODEL_SERVICE_CONFIG": str(path)})
    assert "'modles'" in line and "models" in line.split("expected", 1)[1]


def test_a_yaml_syntax_error_is_refused_with_its_line(tmp_path):
    path = tmp_path / "models.yaml"
    path.write_text("models:\n  - class_path: iris_model.IrisModel\n    configuration: {a: 1\n")
    line = refused({"MODEL_SERVICE_CONFIG": str(path)})
    assert str(path) in line and "line " in line and "not valid YAML" in line


def test_serve_refuses_to_start_on_a_bad_models_file(tmp_path):
    models = write_models_file(tmp_path, [{**ECHO, "batching": {"size": 3}}])
    line = refused({"MODEL_SERVICE_CONFIG": str(models)}, "serve", "--port", "0")
    assert "models[0].batching" in line and "'size'" in line


def test_create_app_raises_the_same_error(tmp_path):
    models = write_models_file(tmp_path, [{**ECHO, "confguration": {}}])
    with pytest.raises(ConfigurationError, match="unknown key 'confguration'"):
        create_app({"MODEL_SERVICE_CONFIG": str(models)}, settings="testing")


def test_an_entry_point_named_unlike_its_class_fails_that_model(tmp_path, monkeypatch, make_app):
    dist = tmp_path / "misnamed-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: misnamed\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[model_service.models]\nechoes = fixture_models.echo_model:EchoModel\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = get_registry(make_app([IRIS], discover=True))
    hosted = registry.get("echoes")
    assert hosted.status == "failed"
    assert "entry point 'echoes'" in hosted.error and "qualified_name is 'echo_model'" in hosted.error
    assert registry.get("iris_model").ready


def test_without_any_models_file_the_iris_demo_is_the_logged_default(tmp_path, monkeypatch,
                                                                      caplog):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MODEL_SERVICE_CONFIG", raising=False)
    with caplog.at_level(logging.INFO, logger="model_service.core.specs"):
        app = create_app({"DISCOVER_ENTRY_POINTS": False}, settings="testing")
    (hosted,) = get_registry(app).all()
    assert hosted.name == "iris_model" and hosted.ready and hosted.source == "built-in default"
    assert "built-in iris demo" in caplog.text


def test_an_empty_models_list_hosts_no_demo(make_app):
    assert get_registry(make_app([])).all() == []


def test_importing_the_settings_never_fails():
    env = dict(os.environ, MODEL_SERVICE_MAX_BODY_BYTES="lots", APP_SETTINGS="nonsense")
    subprocess.run([sys.executable, "-c", "import model_service.config"], env=env, check=True)
