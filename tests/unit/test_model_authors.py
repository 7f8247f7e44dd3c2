"""What helps a model author: load-time checks that catch mistakes, `check`, and the test helpers."""
from __future__ import annotations

import logging

import pytest
from click.testing import CliRunner

from fixture_models.echo_model import EchoModel
from fixture_models.examples_model import ExamplesModel
from helpers import ECHO, IRIS, write_models_file
from model_service import get_registry
from model_service.cli import main
from model_service.core import registry as registry_module
from model_service.testing import ModelClient, check_model

DISAGREEING = {"class_path": "fixture_models.disagreeing_model.DisagreeingModel"}
EXAMPLES = {"class_path": "fixture_models.examples_model.ExamplesModel"}


def test_a_configuration_key_init_does_not_take_is_a_load_error_naming_the_ones_it_does(make_app):
    hosted = get_registry(make_app([{**IRIS, "configuration": {"artefact": "x.joblib"}}])).get(
        "iris_model")
    assert hosted.status == "failed"
    assert "configuration key 'artefact'" in hosted.error and "(it takes: artifact)" in hosted.error


def test_an_init_with_keyword_arguments_takes_any_key(make_app):
    assert get_registry(make_app([{**ECHO, "configuration": {"anything": 1}}])).all_ready


def test_a_module_beside_the_models_file_can_be_named(tmp_path, make_app):
    (tmp_path / "beside.py").write_text(
        "from fixture_models.echo_model import EchoModel\n\n"
        "class BesideModel(EchoModel):\n    qualified_name = 'beside_model'\n")
    assert get_registry(make_app([{"class_path": "beside.BesideModel"}])).get("beside_model").ready


def test_a_slow_init_is_logged_with_its_time(make_app, monkeypatch, caplog):
    monkeypatch.setattr(registry_module, "SLOW_INIT_SECONDS", 0.0)
    with caplog.at_level(logging.WARNING, logger="model_service.core.registry"):
        make_app([ECHO])
    assert "Model echo_model took" in caplog.text and "s in __init__" in caplog.text


def run_check(tmp_path, models, *args):
    path = write_models_file(tmp_path, models)
    return CliRunner().invoke(main, ["check", *args], env={"MODEL_SERVICE_CONFIG": str(path)})


def test_check_passes_a_good_model_and_reports_its_timing(tmp_path):
    result = run_check(tmp_path, [IRIS], "iris_model")
    assert result.exit_code == 0, result.output
    assert "ok    example 1: the output matches the output schema" in result.stdout
    assert "ok    predict_batch agrees with predict on 2 example(s)" in result.stdout
    assert "one call" in result.stdout and "a batch of 64" in result.stdout
    assert "1 model(s) passed every check." in result.stdout


def test_check_fails_examples_that_break_the_schema_saying_which_and_why(tmp_path):
    result = run_check(tmp_path, [EXAMPLES])
    assert result.exit_code == 1
    assert "FAIL  example 2 matches the input schema: value: Must be less than or equal to 100." \
        in result.stdout
    assert "FAIL  example 3 matches the input schema" in result.stdout
    assert "Traceback" not in result.output


def test_check_fails_a_batch_that_disagrees_with_single_predictions(tmp_path):
    result = run_check(tmp_path, [DISAGREEING])
    assert result.exit_code == 1
    assert "FAIL  predict_batch agrees with predict on example 1" in result.stdout


def test_check_fails_a_model_that_cannot_load(tmp_path):
    result = run_check(tmp_path, [{**IRIS, "configuration": {"artefact": "x"}}])
    assert result.exit_code == 1 and "configuration key 'artefact'" in result.stdout


def test_check_of_an_unknown_name_lists_the_models_found(tmp_path):
    result = run_check(tmp_path, [IRIS], "nope")
    assert result.exit_code == 1 and "Models found: iris_model." in result.stderr


def test_check_model_raises_with_the_failures_in_words():
    with pytest.raises(AssertionError, match="example 2 matches the input schema"):
        check_model(ExamplesModel)
    assert check_model(EchoModel, factor=3).ok


def test_model_client_serves_the_class_in_process():
    client = ModelClient(EchoModel, factor=3)
    assert client.predict({"value": 2}) == {"doubled": 6, "label": "none"}
    assert client.predict_batch([{"value": 1}]) == [{"doubled": 3, "label": "none"}]
    assert client.metadata()["qualified_name"] == "echo_model"
    with pytest.raises(AssertionError, match="422"):
        client.predict({"value": 500})
