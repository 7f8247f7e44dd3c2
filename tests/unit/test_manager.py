import pytest

from helpers import BAD_OUTPUT, ECHO, IRIS, LOAD_FAILING
from model_service import create_app, get_registry
from model_service.core.errors import ModelNotFound, ModelNotReady
from model_service.core.errors import ConfigurationError, ModelLoadError
from model_service.core.registry import import_class


def test_configured_models_load_and_are_ready(make_app):
    manager = get_registry(make_app([IRIS, ECHO]))
    assert [m.name for m in manager.all()] == ["iris_model", "echo_model"]
    assert manager.all_ready


def test_configuration_keywords_reach_init(make_app):
    manager = get_registry(make_app([{**ECHO, "configuration": {"factor": 5}}]))
    assert manager.get("echo_model").model.factor == 5


def test_same_class_can_be_hosted_twice_under_another_name(make_app):
    manager = get_registry(make_app([ECHO, {**ECHO, "name": "echo_triple", "configuration": {"factor": 3}}]))
    assert manager.get("echo_model").model.factor == 2
    assert manager.get("echo_triple").model.factor == 3
    assert manager.get("echo_triple").summary()["qualified_name"] == "echo_triple"


def test_a_model_that_fails_to_load_is_failed_with_its_reason(make_app):
    manager = get_registry(make_app([ECHO, LOAD_FAILING]))
    failed = manager.get("load_failing_model")
    assert failed.status == "failed"
    assert "artifact weights.bin not found" in failed.error
    assert manager.get("echo_model").ready
    assert not manager.all_ready
    with pytest.raises(ModelNotReady):
        manager.get_ready("load_failing_model")


def test_a_class_that_is_not_an_mlmodel_is_a_load_error(make_app):
    manager = get_registry(make_app([{"class_path": "fixture_models.not_a_model.NotAModel"}]))
    (hosted,) = manager.all()
    assert hosted.status == "failed"
    assert "is not a subclass of MLModel" in hosted.error


def test_a_contract_violation_is_a_load_error_naming_the_problem(make_app):
    manager = get_registry(make_app([
        {"class_path": "fixture_models.incomplete_models.MissingVersionModel"},
        {"class_path": "fixture_models.incomplete_models.BadNameModel"},
    ]))
    errors = {hosted.name: hosted.error for hosted in manager.all()}
    assert "missing attribute 'version'" in errors["missing_version"]
    assert any("not URL-safe" in (error or "") for error in errors.values())
    assert all(hosted.status == "failed" for hosted in manager.all())


def test_duplicate_qualified_names_are_a_clear_load_error(make_app):
    manager = get_registry(make_app([ECHO, {**ECHO, "configuration": {"factor": 9}}]))
    hosted = manager.get("echo_model")
    assert hosted.status == "failed"
    assert "duplicate model name 'echo_model'" in hosted.error


def test_an_unimportable_class_path_is_failed_not_fatal(make_app):
    manager = get_registry(make_app([IRIS, {"class_path": "no_such_package.Model"}]))
    assert manager.get("iris_model").ready
    broken = [m for m in manager.all() if not m.ready]
    assert len(broken) == 1 and "cannot import module 'no_such_package'" in broken[0].error


def test_unknown_model_raises_not_found(make_app):
    with pytest.raises(ModelNotFound):
        get_registry(make_app([ECHO])).get("nope")


def test_each_app_has_its_own_models(make_app):
    first, second = make_app([ECHO]), make_app([ECHO])
    assert get_registry(first) is not get_registry(second)
    assert get_registry(first).get("echo_model").model is not get_registry(second).get("echo_model").model


def test_entry_points_are_discovered_and_configuration_wins(make_app, installed_fixture_package):
    manager = get_registry(make_app([IRIS, {**ECHO, "configuration": {"factor": 4}}], discover=True))
    echo = manager.get("echo_model")
    assert echo.source == "config"  # the installed entry point of the same name is not loaded again
    assert echo.model.factor == 4
    assert [m.name for m in manager.all()].count("echo_model") == 1


def test_an_empty_models_list_hosts_only_installed_packages(make_app, installed_fixture_package):
    manager = get_registry(make_app([], discover=True))
    assert [m.name for m in manager.all()] == ["echo_model"]
    assert manager.get("echo_model").source == "package fixture-models 0.1"


def test_a_missing_configuration_file_is_reported(tmp_path):
    with pytest.raises(ConfigurationError, match="does not exist"):
        create_app({"MODEL_SERVICE_CONFIG": str(tmp_path / "absent.yaml")})


def test_bad_class_path_is_rejected():
    with pytest.raises(ModelLoadError, match="not a class path"):
        import_class("nodots")


def test_output_contract_check_uses_the_output_schema(make_app):
    hosted = get_registry(make_app([BAD_OUTPUT])).get("bad_output_model")
    _, errors = hosted.output_validator.dump_checked({"doubled": "x", "label": "a"})
    assert "doubled" in errors
