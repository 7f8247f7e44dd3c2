"""A pydantic model and an ml_base model through every path: native API, batch, form, metadata
page, OpenAPI and V2, answering as their marshmallow twins do."""
from __future__ import annotations

import json
import re
from html import unescape

import pytest
from openapi_spec_validator import validate

from fixture_models.pydantic_iris_model import PydanticIrisModel
from fixture_models.twin_schemas import EXAMPLE
from helpers import IRIS, IRIS_ROW, build_app
from model_service.protocols.docs import get_document
from model_service.web.form_parsing import parse_form
from model_service.web.schema_view import build_tree
from model_service.core.validation import model_json_schemas
from model_service.web.messages import in_words
from test_pydantic_schemas import BAD_PROFILES

PYDANTIC_IRIS = {"class_path": "fixture_models.pydantic_iris_model.PydanticIrisModel"}
ML_BASE_IRIS = {"class_path": "fixture_models.ml_base_models.IrisModel"}
PROFILES = [{"class_path": "fixture_models.twin_schemas.MarshmallowProfileModel"},
            {"class_path": "fixture_models.twin_schemas.PydanticProfileModel"}]
IRIS_ROWS = [IRIS_ROW, {"sepal_length": 6.7, "sepal_width": 3.0, "petal_length": 5.2,
                        "petal_width": 2.3}]
ML_BASE_ROW = {"sepal_length": 6.7, "sepal_width": 3.0, "petal_length": 5.2, "petal_width": 2.3}
FEATURES = list(IRIS_ROW)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("pydantic"),
                     [IRIS, PYDANTIC_IRIS, ML_BASE_IRIS, *PROFILES])


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


def same_answers(client, method, paths, **kwargs):
    """Send one request to each path; return their (status, body) with model names blanked."""
    answers = []
    for path, name in paths:
        response = client.open(path, method=method, **kwargs)
        text = response.get_data(as_text=True).replace(name, "<name>")
        text = re.sub(r'"request_id":\s*"[0-9a-f]+"', '"request_id": "<id>"', text)
        text = re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "csrf", text)
        answers.append((response.status_code, text))
    return answers


def csrf_token(client, path):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_every_model_loads_ready(app):
    from model_service import get_registry

    assert {hosted.name: hosted.status for hosted in get_registry(app).all()} == {
        "iris_model": "ready", "pydantic_iris": "ready", "ml_base_iris": "ready",
        "profile_marshmallow": "ready", "profile_pydantic": "ready"}


def test_the_pydantic_iris_predicts_what_the_marshmallow_iris_predicts(client):
    for row in IRIS_ROWS:
        ours = client.post("/api/models/pydantic_iris/predict", json=row)
        reference = client.post("/api/models/iris_model/predict", json=row)
        assert ours.status_code == 200 and ours.get_json() == reference.get_json()
    batch = client.post("/api/models/pydantic_iris/predict_batch", json=IRIS_ROWS)
    assert batch.get_json() == client.post("/api/models/iris_model/predict_batch",
                                           json=IRIS_ROWS).get_json()


@pytest.mark.parametrize("payload", [p for p in BAD_PROFILES if isinstance(p, dict)])
def test_twin_models_answer_bad_input_with_the_same_problem(client, payload):
    paths = [(f"/api/models/{name}/predict", name)
             for name in ("profile_marshmallow", "profile_pydantic")]
    first, second = same_answers(client, "POST", paths, json=payload)
    assert first == second and first[0] == 422


def test_twin_models_answer_a_bad_batch_with_the_same_problem(client):
    paths = [(f"/api/models/{name}/predict_batch", name)
             for name in ("profile_marshmallow", "profile_pydantic")]
    first, second = same_answers(client, "POST", paths, json=[EXAMPLE, *BAD_PROFILES[1:4]])
    assert first == second and first[0] == 422


def test_twin_models_answer_good_input_alike(client):
    paths = [(f"/api/models/{name}/predict", name)
             for name in ("profile_marshmallow", "profile_pydantic")]
    first, second = same_answers(client, "POST", paths, json=EXAMPLE)
    assert first == second and first[0] == 200


def test_twin_models_get_the_same_form(client):
    paths = [(f"/models/{name}/predict", name)
             for name in ("profile_marshmallow", "profile_pydantic")]
    first, second = same_answers(client, "GET", paths)
    assert first == second and first[0] == 200


def test_twin_models_get_the_same_metadata_page_but_for_the_order_of_keys_in_the_schemas(client):
    paths = [(f"/models/{name}/metadata", name)
             for name in ("profile_marshmallow", "profile_pydantic")]
    pages, schemas = [], []
    for status, html in same_answers(client, "GET", paths):
        assert status == 200
        blocks = re.findall(r"<pre[^>]*><code>(.*?)</code></pre>", html, flags=re.S)
        schemas.append([json.loads(unescape(block)) for block in blocks])
        html = re.sub(r"(Marshmallow|Pydantic)ProfileModel", "<class>", html)  # its source
        pages.append(re.sub(r"<pre[^>]*><code>.*?</code></pre>", "<pre/>", html, flags=re.S))
    assert pages[0] == pages[1] and schemas[0] == schemas[1] and len(schemas[0]) == 2


def test_twin_models_get_the_same_v2_metadata(client):
    first, second = (json.loads(client.get(f"/v2/models/{name}").get_data(as_text=True)
                                .replace(name, "<name>"))
                     for name in ("profile_marshmallow", "profile_pydantic"))
    assert first == second and first["inputs"] and first["name"] == "<name>"


@pytest.mark.parametrize("form", [
    {"age": "17", "plan": "gold", "address.city": ""},
    {"age": "abc", "plan": "plus", "address.city": "Lyon", "score": "0"},
    {"age": "99", "plan": "plus", "address.city": "Lyon"},
])
def test_twin_forms_refuse_the_same_input_with_the_same_page(client, form):
    pages = []
    for name in ("profile_marshmallow", "profile_pydantic"):
        path = f"/models/{name}/predict"
        response = client.post(path, data={**form, "csrf_token": csrf_token(client, path)})
        assert response.status_code == 422
        html = response.get_data(as_text=True).replace(name, "<name>")
        pages.append(re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "csrf", html))
    assert pages[0] == pages[1]


@pytest.mark.parametrize("name, row, species", [
    ("pydantic_iris", IRIS_ROW, "setosa"), ("ml_base_iris", ML_BASE_ROW, "Iris virginica")])
def test_the_form_renders_and_predicts(client, name, row, species):
    path = f"/models/{name}/predict"
    page = client.get(path)
    assert page.status_code == 200 and 'name="sepal_length"' in page.get_data(as_text=True)
    response = client.post(path, data={**{key: str(value) for key, value in row.items()},
                                       "csrf_token": csrf_token(client, path)})
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert re.search(rf"<code[^>]*>species</code></th><td[^>]*>{species}</td>", html)


def test_the_form_and_the_api_refuse_the_same_input_of_a_pydantic_model(client):
    path = "/models/pydantic_iris/predict"
    form = {**{key: str(value) for key, value in IRIS_ROW.items()}, "sepal_length": "25"}
    html = client.post(path, data={**form, "csrf_token": csrf_token(client, path)}).get_data(
        as_text=True)
    schema, _ = model_json_schemas("pydantic_iris", PydanticIrisModel)
    body, _ = parse_form(build_tree(schema), form)
    api = client.post("/api/models/pydantic_iris/predict", json=body).get_json()
    assert api["errors"] == {"sepal_length": ["Must be less than or equal to 20.0."]}
    assert f"<div>{in_words('Must be less than or equal to 20.0.')}</div>" in html


def test_the_openapi_document_is_valid_and_documents_each_model(app):
    document = get_document(app).document
    validate(document)
    for name in ("pydantic_iris", "ml_base_iris", "profile_pydantic"):
        assert f"/api/models/{name}/predict" in document["paths"]
    text = json.dumps(document)
    assert "$defs" not in text and "#/$defs" not in text


def v2_request(rows):
    return {"inputs": [{"name": name, "datatype": "FP64", "shape": [len(rows)],
                        "data": [row[name] for row in rows]} for name in FEATURES]}


def test_v2_infers_with_a_pydantic_model_as_with_its_marshmallow_twin(client):
    ours = client.post("/v2/models/pydantic_iris/infer", json=v2_request(IRIS_ROWS))
    reference = client.post("/v2/models/iris_model/infer", json=v2_request(IRIS_ROWS))
    assert ours.status_code == 200, ours.get_data(as_text=True)
    ours, reference = ours.get_json(), reference.get_json()
    assert ours.pop("model_name") == "pydantic_iris"
    reference.pop("model_name")
    assert ours == reference
    first, second = (client.get(f"/v2/models/{name}").get_json()
                     for name in ("iris_model", "pydantic_iris"))
    assert first["inputs"] == second["inputs"] and first["outputs"] == second["outputs"]


def test_v2_infers_with_an_ml_base_model(client):
    response = client.post("/v2/models/ml_base_iris/infer", json=v2_request([ML_BASE_ROW]))
    assert response.status_code == 200, response.get_data(as_text=True)
    (output,) = response.get_json()["outputs"]
    assert output["name"] == "species" and output["data"] == ["Iris virginica"]
    refused = client.post("/v2/models/ml_base_iris/infer",
                          json=v2_request([{**ML_BASE_ROW, "petal_length": 6.75}]))
    assert refused.status_code == 400  # the protocol's status for input the model refuses
    assert "petal_length cannot exceed sepal_length" in refused.get_json()["error"]


def test_a_recursive_model_is_served_and_its_definitions_become_openapi_components(make_app):
    app = make_app([{"class_path": "fixture_models.recursive_model.TreeModel"}])
    client = app.test_client()
    tree = {"root": {"value": 1, "children": [{"value": 2, "children": [{"value": 3.5}]}]}}
    assert client.post("/api/models/tree_model/predict", json=tree).get_json() == {
        "total": 6.5, "nodes": 3}
    deep_error = client.post("/api/models/tree_model/predict", json={
        "root": {"value": 1, "children": [{"value": "2"}]}}).get_json()
    assert deep_error["errors"] == {"root": {"children": {"0": {"value": [
        "Not a valid value: expected a number, got a string."]}}}}
    document = get_document(app).document
    validate(document)
    schemas = document["components"]["schemas"]
    refs = re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(document))
    assert refs and all(name in schemas for name in refs)
    assert "TreeModelInput_Node" in schemas and "#/$defs" not in json.dumps(document)
    assert client.get("/models/tree_model/predict").status_code == 200
    assert client.get("/models/tree_model/metadata").status_code == 200


def test_a_micro_batch_of_pydantic_instances_gets_one_outcome_per_request(app):
    from model_service import get_registry
    from model_service.core import pipeline
    from model_service.core.errors import InvalidInput

    registry = get_registry(app)
    iris = registry.get("pydantic_iris")
    items = [pipeline.validate_one(iris, row) for row in IRIS_ROWS]
    outcomes = pipeline.run_micro_batch(iris, items)
    assert [outcome["species"] for outcome in outcomes] == ["setosa", "virginica"]
    # An ml_base model refusing one request of a micro-batch fails that request alone.
    ml_base = registry.get("ml_base_iris")
    rows = [ML_BASE_ROW, {**ML_BASE_ROW, "petal_length": 6.75}, ML_BASE_ROW]
    outcomes = pipeline.run_micro_batch(ml_base, [pipeline.validate_one(ml_base, row)
                                                  for row in rows])
    assert outcomes[0] == outcomes[2] == {"species": "Iris virginica"}
    assert isinstance(outcomes[1], InvalidInput) and outcomes[1].status == 422
