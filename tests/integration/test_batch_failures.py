"""A batch whose model call fails: each item retried alone, the failed ones named by index."""
import requests

from helpers import BAD_OUTPUT, ECHO, RAISING
from model_service import get_registry

GATED = {"class_path": "fixture_models.gated_model.GatedModel"}
PROBLEM = "application/problem+json"


def _batch(url: str, name: str, values: list[int]) -> requests.Response:
    return requests.post(f"{url}/api/models/{name}/predict_batch",
                         json=[{"value": value} for value in values], timeout=30)


def test_a_batch_names_each_item_the_model_failed_on_by_index(make_app, serve):
    url = serve(make_app([RAISING]))
    response = _batch(url, "raising_model", [1, 13, 2, 13])
    assert response.status_code == 500
    assert response.headers["Content-Type"] == PROBLEM
    body = response.json()
    assert set(body["errors"]) == {"1", "3"}
    assert "raising_model" in body["errors"]["1"][0]
    assert "2 of 4 batch items" in body["detail"]
    assert "secret internal detail" not in response.text and "Traceback" not in response.text


def test_when_a_vectorised_call_fails_each_item_is_retried_alone(make_app, serve):
    app = make_app([GATED])
    url = serve(app)
    model = get_registry(app).get("gated_model").model
    response = _batch(url, "gated_model", [1, 13, 2])
    assert response.status_code == 500 and set(response.json()["errors"]) == {"1"}
    assert [kind for kind, _ in model.calls] == ["predict_batch", "predict", "predict", "predict"]


def test_items_that_break_the_output_contract_are_named_by_index(make_app, serve):
    url = serve(make_app([GATED, BAD_OUTPUT]))
    gated = _batch(url, "gated_model", [1, 7, 2])  # 7: output that breaks the schema
    assert gated.status_code == 500 and set(gated.json()["errors"]) == {"1"}
    assert "output schema" in gated.json()["errors"]["1"][0]
    every = _batch(url, "bad_output_model", [1, 2])
    assert every.status_code == 500 and set(every.json()["errors"]) == {"0", "1"}


def test_a_batch_without_failures_is_answered_whole(make_app, serve):
    url = serve(make_app([ECHO]))
    assert _batch(url, "echo_model", [1, 2, 3]).json() == [
        {"doubled": d, "label": "none"} for d in (2, 4, 6)]


def test_each_failed_item_is_logged_with_its_index_and_the_request_id(make_app, serve, caplog):
    url = serve(make_app([RAISING]))
    response = requests.post(f"{url}/api/models/raising_model/predict_batch",
                             json=[{"value": 13}, {"value": 1}, {"value": 13}],
                             headers={"X-Request-ID": "batch-7"}, timeout=30)
    assert response.status_code == 500 and response.json()["request_id"] == "batch-7"
    records = [r for r in caplog.records if "raised in predict" in r.getMessage()]
    assert [r.getMessage().rsplit(" ", 1)[-1] for r in records] == ["0)", "2)"]
    assert all(r.request_id == "batch-7" and r.exc_info for r in records)
