"""The V2 endpoints in the OpenAPI document: their bodies, their errors, each model's infer."""
from __future__ import annotations

import pytest
from helpers import ECHO, IRIS, LOAD_FAILING, MIRROR, RICH, TEXT
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from model_service.protocols.docs import get_document
from model_service.protocols.native.problems import PROBLEM_MIMETYPE

V2_ERROR = {"$ref": "#/components/schemas/V2Error"}


@pytest.fixture
def app(make_app):
    return make_app([IRIS, ECHO, TEXT, MIRROR, RICH, LOAD_FAILING])


@pytest.fixture
def document(app):
    return get_document(app).document


def resolve(document: dict, node: dict) -> dict:
    while "$ref" in node:
        kind, name = node["$ref"].split("/")[-2:]
        node = document["components"][kind][name]
    return node


def check(document: dict, component: str, instance) -> None:
    """Validate ``instance`` against one of the document's component schemas."""
    schema = {"$ref": f"#/components/schemas/{component}", "components": document["components"]}
    Draft202012Validator(schema).validate(instance)


def v2_operations(document: dict):
    for path, item in document["paths"].items():
        if path.startswith("/v2"):
            for method, operation in item.items():
                yield path, method, operation


def test_the_document_with_v2_is_valid_openapi_3_1(document):
    validate(document)
    paths = {path for path, _, _ in v2_operations(document)}
    assert {"/v2", "/v2/health/live", "/v2/health/ready", "/v2/models/{name}",
            "/v2/models/{name}/versions/{version}", "/v2/models/{name}/ready",
            "/v2/models/{name}/versions/{version}/ready", "/v2/models/{name}/infer",
            "/v2/models/{name}/versions/{version}/infer"} <= paths


def test_every_v2_error_response_is_a_v2_error_not_a_problem(document):
    errors = 0
    for _, _, operation in v2_operations(document):
        for status, response in operation["responses"].items():
            content = resolve(document, response)["content"]
            if int(status) < 400 or (status == "503" and "Ready" in operation["operationId"]):
                continue  # a readiness probe's 503 is its answer, not an error
            assert list(content) == ["application/json"], (operation["operationId"], status)
            assert content["application/json"]["schema"] == V2_ERROR
            errors += 1
    assert errors > 30


def test_generic_v2_infer_documents_every_status_and_both_encodings(document):
    operation = document["paths"]["/v2/models/{name}/infer"]["post"]
    assert set(operation["responses"]) == {"200", "400", "404", "413", "415", "500", "503",
                                          "504"}
    assert set(operation["requestBody"]["content"]) == {"application/json",
                                                        "application/octet-stream"}
    answer = resolve(document, operation["responses"]["200"])
    assert set(answer["content"]) == {"application/json", "application/octet-stream"}
    assert "Inference-Header-Content-Length" in answer["headers"]


def test_only_ready_models_whose_inputs_are_tensors_get_their_own_v2_infer(document):
    own = {path.split("/")[3] for path in document["paths"]
           if path.startswith("/v2/models/") and "{" not in path}
    # rich_model needs an object input (no tensor); load_failing_model did not load.
    assert own == {"iris_model", "echo_model", "text_model", "mirror_model"}
    operation = document["paths"]["/v2/models/text_model/infer"]["post"]
    assert operation["tags"] == ["text_model"]
    assert "`text` (BYTES), `shout` (BOOL) (required: `text`)" in operation["description"]


def test_each_models_v2_examples_are_answered_as_the_document_says(app, document):
    client = app.test_client()
    answered = 0
    for path, _, operation in v2_operations(document):
        content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
        for example in content.get("examples", {}).values():
            check(document, "V2InferenceRequest", example["value"])
            response = client.post(path, json=example["value"])
            assert response.status_code == 200, (path, response.get_json())
            check(document, "V2InferenceResponse", response.get_json())
            answered += 1
    assert answered == 3  # iris's two examples, the text model's one


def test_v2_metadata_and_probe_answers_match_their_documented_schemas(make_app, document):
    client = make_app([IRIS, TEXT, MIRROR, LOAD_FAILING]).test_client()
    for path, component in [("/v2", "V2ServerMetadata"), ("/v2/health/live", "V2ServerLive"),
                            ("/v2/health/ready", "V2ServerReady"),
                            ("/v2/models/mirror_model", "V2ModelMetadata"),
                            ("/v2/models/text_model/versions/1.0.0", "V2ModelMetadata"),
                            ("/v2/models/load_failing_model/ready", "V2ModelReady"),
                            ("/v2/models/nosuchmodel", "V2Error")]:
        check(document, component, client.get(path).get_json())


def test_with_api_keys_v2_probes_are_open_and_other_v2_401s_are_v2_errors(make_app):
    document = get_document(make_app([IRIS], API_KEYS="k1")).document
    validate(document)
    for path in ("/v2/health/live", "/v2/health/ready"):
        assert document["paths"][path]["get"]["security"] == []
    for path, method, operation in v2_operations(document):
        if not path.startswith("/v2/health"):
            assert "security" not in operation
            content = operation["responses"]["401"]["content"]
            assert content == {"application/json": {"schema": V2_ERROR}}, (path, method)
    native = document["paths"]["/api/models/{name}/predict"]["post"]["responses"]["401"]
    assert list(native["content"]) == [PROBLEM_MIMETYPE]
