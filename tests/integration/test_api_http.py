"""The JSON API over real HTTP: every status of the error contract, against a served app."""
import json

import pytest
import requests

from helpers import IRIS_ROW

PROBLEM = "application/problem+json"


def post_json(url, body, **kwargs):
    return requests.post(url, data=json.dumps(body), headers={"Content-Type": "application/json"},
                         timeout=10, **kwargs)


def assert_problem(response, status, field=None):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["type"] == "about:blank" and body["title"]
    assert "Traceback" not in response.text
    if field is not None:
        assert field in body["errors"], body
    return body


def test_list_models_shows_ready_and_failed_models(live_app):
    models = {m["qualified_name"]: m for m in requests.get(f"{live_app}/api/models").json()["models"]}
    assert models["iris_model"]["status"] == "ready"
    assert models["iris_model"]["version"] == "1.0.0"
    assert models["load_failing_model"]["status"] == "failed"
    assert "artifact weights.bin not found" in models["load_failing_model"]["error"]


def test_metadata_has_self_contained_json_schemas(live_app):
    body = requests.get(f"{live_app}/api/models/iris_model/metadata").json()
    schema = body["input_schema"]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["required"] == ["petal_length", "petal_width", "sepal_length", "sepal_width"]
    assert schema["properties"]["sepal_length"]["maximum"] == 20
    assert schema["additionalProperties"] is False
    assert "$ref" not in json.dumps(body)
    assert body["output_schema"]["properties"]["probabilities"]["type"] == "object"


def test_predict_returns_species_and_probabilities(live_app):
    response = post_json(f"{live_app}/api/models/iris_model/predict", IRIS_ROW)
    assert response.status_code == 200
    body = response.json()
    assert body["species"] == "setosa"
    assert abs(sum(body["probabilities"].values()) - 1) < 1e-9
    assert max(body["probabilities"], key=body["probabilities"].get) == "setosa"


def test_predict_batch_keeps_order(live_app):
    virginica = {"sepal_length": 6.7, "sepal_width": 3.0, "petal_length": 5.2, "petal_width": 2.3}
    response = post_json(f"{live_app}/api/models/iris_model/predict_batch", [IRIS_ROW, virginica, IRIS_ROW])
    assert response.status_code == 200
    assert [r["species"] for r in response.json()] == ["setosa", "virginica", "setosa"]


def test_empty_batch_returns_empty_list(live_app):
    assert post_json(f"{live_app}/api/models/iris_model/predict_batch", []).json() == []


def test_health_is_always_ok_and_readiness_reflects_failed_models(live_app):
    assert requests.get(f"{live_app}/healthz").json() == {"status": "ok"}
    ready = requests.get(f"{live_app}/readyz")
    assert ready.status_code == 503
    assert ready.json()["models"]["load_failing_model"] == "failed"


def test_readiness_is_200_when_every_model_is_ready(make_app, serve):
    from helpers import IRIS

    url = serve(make_app([IRIS]))
    assert requests.get(f"{url}/readyz").status_code == 200


# --- 400: malformed JSON -------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    b'{"sepal_length": 5.1,',
    b"{'single': 'quotes'}",
    b'{"sepal_length": NaN, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}',
    b'{"sepal_length": Infinity, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}',
    b'{"sepal_length": -Infinity}',
    b"[" * 5000 + b"]" * 5000,
    b'{"a": 1}{"b": 2}',
    b"\xff\xfe not utf-8",
    b"",
])
def test_malformed_json_is_400(live_app, body):
    response = requests.post(f"{live_app}/api/models/iris_model/predict", data=body,
                             headers={"Content-Type": "application/json"})
    body = assert_problem(response, 400)
    assert "JSON" in body["detail"]


def test_deeply_nested_valid_json_is_rejected_cleanly_before_it_is_parsed(live_app):
    nested = {"sepal_length": 1, "sepal_width": 1, "petal_length": 1, "petal_width": 1}
    deep = "[" * 900 + "1" + "]" * 900
    body = json.dumps(nested)[:-1] + ', "extra": ' + deep + "}"
    response = requests.post(f"{live_app}/api/models/iris_model/predict", data=body,
                             headers={"Content-Type": "application/json"})
    problem = assert_problem(response, 400, "_schema")
    assert "nests 901 levels deep; at most 64" in problem["detail"]


# --- 404 / 405 -----------------------------------------------------------------------------

def test_unknown_model_is_404_problem(live_app):
    body = assert_problem(post_json(f"{live_app}/api/models/nope/predict", IRIS_ROW), 404)
    assert "nope" in body["detail"]
    assert_problem(requests.get(f"{live_app}/api/models/nope/metadata"), 404)


def test_unknown_api_path_is_404_problem(live_app):
    assert_problem(requests.get(f"{live_app}/api/no/such/thing"), 404)


def test_wrong_method_is_405_problem_with_allow_header(live_app):
    response = requests.get(f"{live_app}/api/models/iris_model/predict")
    body = assert_problem(response, 405)
    assert "POST" in response.headers["Allow"] and "POST" in body["detail"]


# --- 413 / 415 -----------------------------------------------------------------------------

def test_body_above_the_limit_is_413(make_app, serve):
    from helpers import IRIS

    url = serve(make_app([IRIS], MAX_CONTENT_LENGTH=1000))
    big = [IRIS_ROW] * 100
    body = assert_problem(post_json(f"{url}/api/models/iris_model/predict_batch", big), 413)
    assert "1000 bytes" in body["detail"]
    assert post_json(f"{url}/api/models/iris_model/predict", IRIS_ROW).status_code == 200


def test_batch_above_the_maximum_size_is_413(make_app, serve):
    from helpers import IRIS

    url = serve(make_app([IRIS], MAX_BATCH_SIZE=3))
    body = assert_problem(post_json(f"{url}/api/models/iris_model/predict_batch", [IRIS_ROW] * 4), 413)
    assert "at most 3 items" in body["detail"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_non_json_content_type_is_415(live_app, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = requests.post(f"{live_app}/api/models/iris_model/predict", data=json.dumps(IRIS_ROW),
                             headers=headers)
    assert_problem(response, 415, "Content-Type")


def test_json_with_charset_parameter_is_accepted(live_app):
    response = requests.post(f"{live_app}/api/models/iris_model/predict", data=json.dumps(IRIS_ROW),
                             headers={"Content-Type": "application/json; charset=utf-8"})
    assert response.status_code == 200


# --- 422: valid JSON that breaks the schema ------------------------------------------------

@pytest.mark.parametrize("change, field, message", [
    ({"sepal_length": "5.1"}, "sepal_length", "expected a number, got a string"),
    ({"sepal_length": None}, "sepal_length", "expected a number, got null"),
    ({"sepal_length": True}, "sepal_length", "expected a number, got a boolean"),
    ({"sepal_length": [5.1]}, "sepal_length", "expected a number, got an array"),
    ({"sepal_length": -1}, "sepal_length", "greater than or equal to 0"),
    ({"sepal_length": 1e308}, "sepal_length", "less than or equal to 20"),
    ({"colour": "blue"}, "colour", "Unknown field."),
])
def test_schema_violations_are_422_naming_the_field(live_app, change, field, message):
    body = assert_problem(post_json(f"{live_app}/api/models/iris_model/predict", {**IRIS_ROW, **change}),
                          422, field)
    assert message in " ".join(body["errors"][field])
    assert body["detail"] == "Input does not match the input schema of model 'iris_model'."


def test_missing_field_is_422(live_app):
    row = dict(IRIS_ROW)
    del row["petal_width"]
    body = assert_problem(post_json(f"{live_app}/api/models/iris_model/predict", row), 422, "petal_width")
    assert body["errors"]["petal_width"] == ["Missing data for required field."]


def test_integer_field_rejects_a_fraction(live_app):
    body = assert_problem(post_json(f"{live_app}/api/models/echo_model/predict", {"value": 1.5}), 422, "value")
    assert "expected an integer" in body["errors"]["value"][0]


@pytest.mark.parametrize("body", [[IRIS_ROW], "text", 42, None])
def test_predict_body_must_be_an_object(live_app, body):
    assert_problem(post_json(f"{live_app}/api/models/iris_model/predict", body), 422, "_schema")


def test_batch_errors_are_keyed_by_item_index(live_app):
    bad = {**IRIS_ROW, "sepal_width": "wide"}
    body = assert_problem(post_json(f"{live_app}/api/models/iris_model/predict_batch",
                                    [IRIS_ROW, bad, 7]), 422)
    assert set(body["errors"]) == {"1", "2"}
    assert "sepal_width" in body["errors"]["1"]


def test_batch_body_must_be_an_array(live_app):
    assert_problem(post_json(f"{live_app}/api/models/iris_model/predict_batch", IRIS_ROW), 422, "_schema")


# --- 500 / 503: model faults ---------------------------------------------------------------

def test_model_that_raises_is_500_for_that_request_only(live_app):
    url = f"{live_app}/api/models/raising_model/predict"
    body = assert_problem(post_json(url, {"value": 13}), 500)
    assert "raising_model" in body["detail"]
    assert "secret internal detail" not in json.dumps(body)
    assert post_json(url, {"value": 2}).json() == {"doubled": 4, "label": "none"}
    assert post_json(f"{live_app}/api/models/iris_model/predict", IRIS_ROW).status_code == 200


def test_model_that_raises_in_a_batch_fails_only_that_request(live_app):
    url = f"{live_app}/api/models/raising_model/predict_batch"
    assert_problem(post_json(url, [{"value": 1}, {"value": 13}]), 500)
    assert post_json(url, [{"value": 1}]).json() == [{"doubled": 2, "label": "none"}]


def test_model_that_breaks_its_output_contract_is_500_naming_the_model(live_app):
    body = assert_problem(post_json(f"{live_app}/api/models/bad_output_model/predict", {"value": 1}), 500)
    assert "bad_output_model" in body["detail"] and "output schema" in body["detail"]


def test_model_that_failed_to_load_is_503(live_app):
    body = assert_problem(post_json(f"{live_app}/api/models/load_failing_model/predict", {"value": 1}), 503)
    assert "load_failing_model" in body["detail"]


def test_responses_carry_security_headers(live_app):
    response = requests.get(f"{live_app}/api/models")
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
