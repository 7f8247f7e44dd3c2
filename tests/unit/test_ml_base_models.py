"""Models written for ml_base, and rest-model-service configuration files, served unchanged."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml
from ml_base.utilities import ModelManager

from fixture_models.ml_base_models import ModelInput
from helpers import ECHO
from model_service import create_app, get_registry
from model_service.core.errors import ConfigurationError
from model_service.core.specs import read_models_file
from model_service.core.batching import BatchSettings

ML_BASE = "fixture_models.ml_base_models."
IRIS = {"class_path": ML_BASE + "IrisModel", "create_endpoint": True}
SETOSA = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}
VIRGINICA = {"sepal_length": 6.7, "sepal_width": 3.0, "petal_length": 5.2, "petal_width": 2.3}
DISTRIBUTION = Path(__file__).resolve().parents[1] / "fixtures" / "pydantic_distribution"


def rest_config(directory: Path, models: list[dict], **service) -> Path:
    """Write a configuration file the way rest-model-service documents it."""
    path = directory / "rest_config.yaml"
    path.write_text(yaml.safe_dump({"service_title": "REST Model Service", **service,
                                    "models": models}, sort_keys=False))
    return path


@pytest.fixture
def serve_config(tmp_path):
    def build(models: list[dict], **service):
        path = rest_config(tmp_path, models, **service)
        return create_app({"TESTING": True, "MODEL_SERVICE_CONFIG": str(path)},
                          settings="testing")

    return build


def problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


def test_a_rest_model_service_configuration_file_is_read_unchanged_and_serves_its_model(
        serve_config, caplog):
    with caplog.at_level(logging.WARNING):
        app = serve_config([IRIS], description="Service description", version="1.1.0",
                           metrics={"enabled": True})
    warned = " ".join(record.getMessage() for record in caplog.records)
    for key in ("service_title", "description", "version", "metrics"):
        assert f"'{key}' (a rest-model-service setting) is not used here" in warned
    client = app.test_client()
    assert client.get("/api/models").get_json()["models"] == [{
        "qualified_name": "ml_base_iris", "display_name": "Iris Model",
        "description": "A model to predict the species of a flower based on its measurements.",
        "version": "1.0.0", "status": "ready"}]
    response = client.post("/api/models/ml_base_iris/predict", json=VIRGINICA)
    assert response.status_code == 200 and response.get_json() == {"species": "Iris virginica"}


def test_properties_on_the_instance_are_read_once_it_exists_and_configuration_reaches_it(
        serve_config):
    app = serve_config([{**IRIS, "configuration": {"qualified_name": "iris_b", "threshold": 9}}])
    client = app.test_client()
    assert client.post("/api/models/iris_b/predict", json=VIRGINICA).get_json() == {
        "species": "Iris setosa"}  # every petal is under the threshold of 9
    hosted = get_registry(app).get("iris_b")
    assert hosted.model.model.threshold == 9 and hosted.version == "1.0.0"


def test_the_published_schema_is_the_pydantic_one_closed_and_self_contained(serve_config):
    metadata = serve_config([IRIS]).test_client().get("/api/models/ml_base_iris/metadata").get_json()
    inputs = metadata["input_schema"]
    assert inputs["additionalProperties"] is False and "$defs" not in str(metadata)
    assert inputs["properties"]["sepal_length"]["exclusiveMinimum"] == 4.0
    assert metadata["output_schema"]["properties"]["species"]["enum"] == [
        "Iris setosa", "Iris versicolor", "Iris virginica"]


@pytest.mark.parametrize("change, errors", [
    ({"sepal_length": "5.1"}, {"sepal_length": ["Not a valid value: expected a number, got a string."]}),
    ({"sepal_length": 9}, {"sepal_length": ["Must be less than 8.0."]}),
    ({"color": "blue"}, {"color": ["Unknown field."]}),
    ({"petal_width": None}, {"petal_width": ["Not a valid value: expected a number, got null."]}),
])
def test_input_is_checked_strictly_before_the_model_sees_it(serve_config, change, errors):
    client = serve_config([IRIS]).test_client()
    body = problem(client.post("/api/models/ml_base_iris/predict", json={**SETOSA, **change}), 422)
    assert body["errors"] == errors


def test_a_schema_validation_exception_from_predict_is_a_422_with_its_message(serve_config):
    client = serve_config([IRIS]).test_client()
    body = problem(client.post("/api/models/ml_base_iris/predict",
                               json={**SETOSA, "petal_length": 5.5}), 422)
    assert "ml_base_iris" in body["detail"]
    assert body["errors"] == {"_schema": ["petal_length cannot exceed sepal_length for an iris."]}


def test_a_batch_names_the_items_the_model_refused_by_index(serve_config):
    client = serve_config([IRIS]).test_client()
    body = problem(client.post("/api/models/ml_base_iris/predict_batch",
                               json=[SETOSA, {**SETOSA, "petal_length": 5.5}, VIRGINICA]), 422)
    assert body["errors"] == {"1": {"_schema": [
        "petal_length cannot exceed sepal_length for an iris."]}}
    ok = client.post("/api/models/ml_base_iris/predict_batch", json=[SETOSA, VIRGINICA])
    assert ok.get_json() == [{"species": "Iris setosa"}, {"species": "Iris virginica"}]


def test_class_attributes_and_a_dict_answer_are_fine_too(serve_config):
    client = serve_config([{"class_path": ML_BASE + "AttributesIrisModel",
                            "create_endpoint": True}]).test_client()
    response = client.post("/api/models/ml_base_iris_attributes/predict", json=SETOSA)
    assert response.get_json() == {"species": "Iris setosa"}


def test_decorators_stack_in_order_and_each_may_change_facts_schemas_and_predictions(
        serve_config):
    app = serve_config([{**IRIS, "decorators": [
        {"class_path": ML_BASE + "PredictionIDDecorator"},
        {"class_path": ML_BASE + "DisplayNameDecorator", "configuration": {"suffix": " (v2)"}},
    ]}])
    client = app.test_client()
    listed = client.get("/api/models").get_json()["models"][0]
    assert listed["display_name"] == "Iris Model (v2)"
    assert listed["description"].endswith("Takes and returns a prediction id.")
    metadata = client.get("/api/models/ml_base_iris/metadata").get_json()
    assert "prediction_id" in metadata["input_schema"]["properties"]
    assert "prediction_id" in metadata["output_schema"]["required"]
    answer = client.post("/api/models/ml_base_iris/predict",
                         json={**SETOSA, "prediction_id": "abc"}).get_json()
    assert answer == {"species": "Iris setosa", "prediction_id": "abc"}
    generated = client.post("/api/models/ml_base_iris/predict", json=SETOSA).get_json()
    assert len(generated["prediction_id"]) == 36
    outermost = get_registry(app).get("ml_base_iris").model.model
    assert type(outermost).__name__ == "DisplayNameDecorator" and outermost.__dict__["calls"] == 2


def test_a_model_loaded_without_an_endpoint_is_hidden_but_ready_and_found_by_ml_base_code(
        serve_config):
    app = serve_config([
        {**IRIS, "create_endpoint": False, "configuration": {"qualified_name": "strict_iris",
                                                             "threshold": 0}},
        {**IRIS, "decorators": [{"class_path": ML_BASE + "SecondOpinionDecorator",
                                 "configuration": {"other": "strict_iris"}}]},
    ])
    client = app.test_client()
    assert [m["qualified_name"] for m in client.get("/api/models").get_json()["models"]] == [
        "ml_base_iris"]
    problem(client.post("/api/models/strict_iris/predict", json=SETOSA), 404)
    assert client.get("/models/strict_iris/predict").status_code == 404
    assert client.get("/v2/models/strict_iris").status_code == 404
    assert "strict_iris" not in client.get("/api/openapi.json").get_data(as_text=True)
    assert client.get("/readyz").status_code == 200
    # The decorator asks the hidden model when the visible one says setosa.
    assert client.post("/api/models/ml_base_iris/predict", json=SETOSA).get_json() == {
        "species": "Iris versicolor"}
    assert ModelManager().get_model("strict_iris").threshold == 0


def test_a_hidden_model_that_fails_still_makes_the_service_not_ready(serve_config):
    app = serve_config([{**IRIS, "create_endpoint": False,
                         "configuration": {"threshhold": 1}}])
    assert get_registry(app).all() == [] and not get_registry(app).all_ready


@pytest.mark.parametrize("entry, message", [
    ({"class_path": ML_BASE + "IncompleteModel"},
     "missing ml_base.MLModel member(s): predict, version"),
    ({**IRIS, "configuration": {"threshhold": 1}},
     "configuration key 'threshhold' is not a parameter of fixture_models.ml_base_models.IrisModel"),
    ({**IRIS, "decorators": [{"class_path": ML_BASE + "ModelInput"}]},
     "is not a subclass of ml_base.MLModelDecorator"),
    ({**IRIS, "decorators": [{"class_path": ML_BASE + "DisplayNameDecorator",
                              "configuration": {"sufix": "x"}}]},
     "configuration key 'sufix' is not a parameter"),
    ({**ECHO, "decorators": [{"class_path": ML_BASE + "DisplayNameDecorator"}]},
     "'decorators' apply to ml_base models only"),
])
def test_what_cannot_be_hosted_fails_that_model_with_a_message_naming_the_problem(
        make_app, entry, message):
    (hosted,) = get_registry(make_app([entry])).models.values()
    assert hosted.status == "failed" and message in hosted.error


def test_installed_ml_base_and_pydantic_models_are_found_by_their_entry_points(make_app,
                                                                            monkeypatch):
    monkeypatch.syspath_prepend(str(DISTRIBUTION))
    registry = get_registry(make_app([], discover=True))
    for name in ("ml_base_iris", "pydantic_iris"):
        hosted = registry.get(name)
        assert hosted.ready and hosted.source == "package pydantic-fixture-models 0.1"


def test_an_entry_point_named_unlike_the_instances_qualified_name_fails(make_app, monkeypatch,
                                                                        tmp_path):
    dist = tmp_path / "misnamed-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: misnamed\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[model_service.models]\niris = fixture_models.ml_base_models:IrisModel\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    hosted = get_registry(make_app([], discover=True)).models["iris"]
    assert hosted.status == "failed" and "must be its class's qualified_name" in hosted.error


@pytest.mark.parametrize("text, message", [
    ("models:\n  - class_path: a.B\n    create_endpoint: 'yes'\n",
     "models[0].create_endpoint: expected true or false"),
    ("models:\n  - class_path: a.B\n    decorators: {class_path: c.D}\n",
     "models[0].decorators: expected a list"),
    ("models:\n  - class_path: a.B\n    decorators: [{class_path: c.D, config: {}}]\n",
     "models[0].decorators[0]: unknown key 'config'"),
    ("models:\n  - class_path: a.B\n    decorators: [{configuration: {}}]\n",
     "models[0].decorators[0].class_path: expected a class path"),
    ("service_title: [REST]\nmodels: []\n", "service_title: expected a string"),
    ("logging: verbose\nmodels: []\n", "logging: expected a mapping"),
])
def test_the_rest_model_service_keys_are_checked_as_strictly_as_the_others(tmp_path, text,
                                                                           message):
    path = tmp_path / "rest_config.yaml"
    path.write_text(text)
    with pytest.raises(ConfigurationError, match=message.replace("[", r"\[")):
        read_models_file(path, BatchSettings())


def test_null_configuration_and_decorators_mean_none_as_in_rest_model_service(tmp_path):
    path = tmp_path / "rest_config.yaml"
    path.write_text("models:\n  - class_path: a.B\n    create_endpoint: false\n"
                    "    configuration: null\n    decorators:\n"
                    "      - class_path: c.D\n        configuration: null\n")
    (spec,) = read_models_file(path, BatchSettings()).specs
    assert (spec.exposed, spec.configuration) == (False, {})
    assert [(d.class_path, d.configuration) for d in spec.decorators] == [("c.D", {})]


def test_predict_receives_an_instance_of_the_models_own_input_schema(serve_config):
    app = serve_config([IRIS])
    hosted = get_registry(app).get("ml_base_iris")
    assert hosted.model_class.input_schema is ModelInput
    loaded, errors = hosted.input_validator.load(SETOSA)
    assert errors is None and isinstance(loaded, ModelInput)


def test_the_model_package_test_helpers_take_ml_base_and_pydantic_models():
    from fixture_models.ml_base_models import IrisModel
    from fixture_models.twin_schemas import PydanticProfileModel
    from model_service.testing import ModelClient, check_model

    assert check_model(IrisModel).ok and check_model(PydanticProfileModel).ok
    client = ModelClient(IrisModel, qualified_name="iris_c")
    assert client.metadata()["qualified_name"] == "iris_c"
    assert client.predict(VIRGINICA) == {"species": "Iris virginica"}


def test_the_predict_command_names_the_rows_an_ml_base_model_refuses_and_predicts_the_rest(
        tmp_path):
    from click.testing import CliRunner

    from model_service.cli import main

    path = rest_config(tmp_path, [IRIS])
    rows = tmp_path / "rows.csv"
    rows.write_text("sepal_length,sepal_width,petal_length,petal_width\n"
                    "6.7,3.0,5.2,2.3\n5.0,3.0,5.5,0.2\n5.1,3.5,1.4,0.2\n")
    result = CliRunner().invoke(main, ["predict", "ml_base_iris", str(rows)],
                                env={"MODEL_SERVICE_CONFIG": str(path)})
    assert result.exit_code == 1
    assert [line for line in result.stdout.splitlines()] == [
        '{"species":"Iris virginica"}', '{"species":"Iris setosa"}']
    assert "row 2: (row): petal_length cannot exceed sepal_length for an iris." in result.stderr
    assert "2 of 3 rows predicted; 1 invalid, 0 failed in the model." in result.stderr
