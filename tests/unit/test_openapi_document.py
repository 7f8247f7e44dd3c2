"""The OpenAPI document: valid, complete, per model, and the same as the committed openapi.yaml."""
from __future__ import annotations

import difflib
import importlib.util
import logging

import pytest
import yaml
from helpers import ECHO, IRIS, RICH
from openapi_spec_validator import validate
from servers import REPO_ROOT

from model_service.protocols.docs import get_document
from model_service.protocols.native.problems import PROBLEM_MIMETYPE
from model_service import get_registry
from model_service.protocols.openapi import OpenAPIError, build_spec, create_spec, write_openapi_yaml

EXAMPLES = {"class_path": "fixture_models.examples_model.ExamplesModel"}
# Routes that are pages or files, not API operations.
UNDOCUMENTED_ENDPOINTS = {"static", "docs.swagger_ui", "docs.swagger_asset"}
API_PREFIXES = ("/api/", "/healthz", "/readyz", "/metrics", "/v2")


@pytest.fixture
def document(app):
    return get_document(app).document


def resolve(document: dict, node: dict) -> dict:
    while "$ref" in node:
        kind, name = node["$ref"].split("/")[-2:]
        node = document["components"][kind][name]
    return node


def test_document_is_valid_openapi_3_1(document):
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] == "Model Service"
    assert document["info"]["version"]
    assert document["info"]["description"]


def test_api_payloads_are_components_from_their_marshmallow_schemas(document):
    schemas = document["components"]["schemas"]
    assert {"ModelSummary", "ModelCollection", "ModelMetadata", "Problem"} <= set(schemas)
    assert schemas["ModelSummary"]["properties"]["status"]["enum"] == ["ready", "failed"]
    assert set(schemas["Problem"]["required"]) == {"type", "title", "status"}


def test_every_api_route_is_documented_with_the_methods_it_serves(app, document):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in UNDOCUMENTED_ENDPOINTS or not rule.rule.startswith(API_PREFIXES):
            continue
        path = rule.rule.replace("<", "{").replace(">", "}")
        assert path in document["paths"], f"{rule.rule} is not documented"
        documented = {method.upper() for method in document["paths"][path]}
        assert documented == set(rule.methods) - {"HEAD", "OPTIONS"}, rule.rule


def test_every_operation_has_a_unique_operation_id(document):
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


def test_every_error_response_outside_v2_is_problem_json(document):
    errors = 0
    for path, item in document["paths"].items():
        if path.startswith("/v2"):  # the V2 protocol's own {"error"} shape: test_v2_openapi.py
            continue
        for operation in item.values():
            for status, response in operation["responses"].items():
                if int(status) < 400 or "readyz" in operation["operationId"]:
                    continue
                content = resolve(document, response)["content"]
                assert list(content) == [PROBLEM_MIMETYPE], (operation["operationId"], status)
                problem = {"$ref": "#/components/schemas/Problem"}
                assert content[PROBLEM_MIMETYPE]["schema"] == problem
                errors += 1
    assert errors > 20


def test_generic_prediction_routes_document_every_error_status(document):
    operation = document["paths"]["/api/models/{name}/predict"]["post"]
    assert set(operation["responses"]) == {"200", "400", "404", "413", "415", "422", "500", "503",
                                           "504"}
    assert operation["parameters"] == [{"$ref": "#/components/parameters/ModelName"}]


def test_each_ready_model_has_its_own_operations_and_named_schemas(app, document):
    paths, schemas = document["paths"], document["components"]["schemas"]
    for name, component in (("iris_model", "IrisModel"), ("echo_model", "EchoModel")):
        hosted = get_registry(app).get(name)
        predict = paths[f"/api/models/{name}/predict"]["post"]
        body = predict["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{component}Input"}
        answer = predict["responses"]["200"]["content"]["application/json"]["schema"]
        assert answer == {"$ref": f"#/components/schemas/{component}Output"}
        # The document publishes exactly the JSON Schema the service validates with.
        expected = {k: v for k, v in hosted.input_validator.json_schema.items() if k != "$schema"}
        assert schemas[f"{component}Input"] == expected
        batch = paths[f"/api/models/{name}/predict_batch"]["post"]
        batch_body = batch["requestBody"]["content"]["application/json"]["schema"]
        assert batch_body["items"] == {"$ref": f"#/components/schemas/{component}Input"}
        assert predict["tags"] == batch["tags"] == [name]


def test_failed_models_get_no_operations_of_their_own(document):
    assert not [path for path in document["paths"] if "load_failing" in path]
    assert "/api/models/{name}/predict" in document["paths"]


def test_iris_examples_are_in_the_document(document):
    content = document["paths"]["/api/models/iris_model/predict"]["post"]["requestBody"]["content"]
    values = [example["value"] for example in content["application/json"]["examples"].values()]
    assert values[0] == {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4,
                         "petal_width": 0.2}
    assert len(values) == 2


def test_examples_that_break_the_input_schema_are_left_out_with_a_warning(make_app, caplog):
    with caplog.at_level(logging.WARNING, logger="model_service.core.validation"):
        document = get_document(make_app([EXAMPLES])).document
    content = document["paths"]["/api/models/examples_model/predict"]["post"]["requestBody"]
    examples = content["content"]["application/json"]["examples"]
    assert [example["value"] for example in examples.values()] == [{"value": 21, "label": "answer"}]
    assert "example 1 does not match the input schema" in caplog.text
    assert "example 2 does not match the input schema" in caplog.text


def test_nested_model_schemas_are_inline_and_valid(make_app):
    document = get_document(make_app([RICH])).document
    validate(document)
    address = document["components"]["schemas"]["RichModelInput"]["properties"]["address"]
    assert address["properties"]["postcode"]["pattern"] == "^[0-9]{5}$"


def test_names_that_camel_case_alike_get_distinct_components(make_app):
    document = get_document(make_app([IRIS, {**IRIS, "name": "iris-model"}])).document
    validate(document)
    schemas = document["components"]["schemas"]
    assert {"IrisModelInput", "IrisModel2Input"} <= set(schemas)
    assert document["paths"]["/api/models/iris-model/predict"]["post"]["operationId"] == (
        "predictIrisModel2")


def test_a_docstring_documenting_the_wrong_method_is_refused(make_app):
    app = make_app([ECHO])

    def wrong():
        """Document a POST route as GET.
        ---
        get:
          responses:
            "200": {description: ok}
        """

    app.add_url_rule("/api/wrong", view_func=wrong, methods=["POST"])
    with pytest.raises(OpenAPIError, match=r"serves \['POST'\].*documents \['GET'\]"):
        create_spec(app)


def test_openapi_json_and_yaml_serve_the_document_built_at_start_up(app):
    built = get_document(app)  # exists before any request
    client = app.test_client()
    as_json = client.get("/api/openapi.json")
    assert as_json.status_code == 200 and as_json.mimetype == "application/json"
    assert as_json.get_json() == built.document
    as_yaml = client.get("/api/openapi.yaml")
    assert as_yaml.status_code == 200 and as_yaml.mimetype == "application/yaml"
    assert yaml.safe_load(as_yaml.get_data(as_text=True)) == built.document
    assert as_json.headers["ETag"] == as_yaml.headers["ETag"]
    again = client.get("/api/openapi.json", headers={"If-None-Match": as_json.headers["ETag"]})
    assert again.status_code == 304


def test_write_openapi_yaml_writes_the_apps_document(app, tmp_path):
    path = write_openapi_yaml(tmp_path / "openapi.yaml", app)
    assert yaml.safe_load(path.read_text()) == build_spec(app)


def test_committed_openapi_yaml_is_up_to_date():
    spec = importlib.util.spec_from_file_location("openapi_writer", REPO_ROOT / "openapi.py")
    writer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(writer)
    committed = (REPO_ROOT / "openapi.yaml").read_text(encoding="utf-8")
    current = writer.render()
    diff = "".join(difflib.unified_diff(committed.splitlines(True), current.splitlines(True),
                                        "openapi.yaml (committed)", "openapi.yaml (from code)"))
    assert not diff, f"openapi.yaml is out of date: run `make openapi`\n{diff[:4000]}"
    validate(yaml.safe_load(committed))
