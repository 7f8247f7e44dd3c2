"""API keys, metrics, request logs and readiness apply to ``/v2`` as to ``/api``, under gunicorn.

One production server (one worker, so that its metrics are one process's) with an API key set
serves the whole module.
"""
from __future__ import annotations

import json
import time

import httpx
import numpy as np
import pytest
import requests
import tritonclient.http as triton
from open_inference.openapi.client import OpenInferenceClient
from prometheus_client.parser import text_string_to_metric_families
from tritonclient.utils import InferenceServerException

from helpers import IRIS, IRIS_FEATURES, IRIS_ROW, RAISING, write_models_file
from servers import GunicornServer, service_env

pytestmark = pytest.mark.slow

KEY = "v2-test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
INFER = "/v2/models/iris_model/infer"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    models = write_models_file(tmp_path_factory.mktemp("v2ops"), [IRIS, RAISING])
    env = service_env(MODEL_SERVICE_CONFIG=str(models), MODEL_SERVICE_API_KEYS=KEY,
                      MODEL_SERVICE_LOG_LEVEL="INFO")
    with GunicornServer(workers=1, env=env) as running:
        yield running


@pytest.fixture(scope="module")
def url(server) -> str:
    return server.url


def iris_body(rows: int = 1) -> dict:
    return {"inputs": [{"name": name, "datatype": "FP64", "shape": [rows],
                        "data": [IRIS_ROW[name]] * rows} for name in IRIS_FEATURES]}


def samples(url: str, name: str) -> dict:
    """``{labels: value}`` of one metric family's samples named ``name``."""
    text = requests.get(url + "/metrics", timeout=5).text
    return {tuple(sorted(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples if sample.name == name}


@pytest.mark.parametrize("headers, message", [
    ({}, "An API key is required"),
    ({"Authorization": "Bearer wrong"}, "The API key is not valid."),
    ({"X-API-Key": "wrong", "Accept": "text/html"}, "The API key is not valid."),
])
@pytest.mark.parametrize("method, path", [("POST", INFER), ("GET", "/v2"),
                                          ("GET", "/v2/models/iris_model"),
                                          ("GET", "/v2/models/iris_model/ready")])
def test_v2_without_a_valid_key_is_refused_with_401_in_the_v2_error_shape(url, method, path,
                                                                          headers, message):
    response = requests.request(method, url + path, headers=headers, json=iris_body(), timeout=5)
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="model-service"'
    assert list(response.json()) == ["error"] and message in response.json()["error"]


def test_v2_probes_stay_open_without_a_key_for_the_orchestrator(url):
    assert requests.get(url + "/v2/health/live", timeout=5).json() == {"live": True}
    ready = requests.get(url + "/v2/health/ready", timeout=5)
    assert (ready.status_code, ready.json()) == (200, {"ready": True})


def test_clients_with_the_key_infer(url):
    client = triton.InferenceServerClient(url.removeprefix("http://"))
    try:
        inputs = []
        for name in IRIS_FEATURES:
            tensor = triton.InferInput(name, [1], "FP64")
            inputs.append(tensor.set_data_from_numpy(np.array([IRIS_ROW[name]])))
        with pytest.raises(InferenceServerException) as caught:
            client.infer("iris_model", inputs)
        assert caught.value.status() == "401"
        # A copy: tritonclient writes its Inference-Header-Content-Length into the dict given.
        result = client.infer("iris_model", inputs, headers=dict(AUTH))
        assert result.as_numpy("species").tolist() == [b"setosa"]
    finally:
        client.close()
    with httpx.Client(headers={"X-API-Key": KEY}, timeout=10) as http:
        metadata = OpenInferenceClient(base_url=url, httpx_client=http).read_model_metadata(
            "iris_model")
    assert metadata.name == "iris_model"


def test_metrics_count_v2_requests_by_route_and_status_and_predictions_by_row(url):
    requests_before = samples(url, "model_service_http_requests_total")
    predictions_before = samples(url, "model_service_predictions_total")
    for rows in (1, 3):
        assert requests.post(url + INFER, json=iris_body(rows), headers=AUTH,
                             timeout=5).status_code == 200
    bad = iris_body(2)
    bad["inputs"][0]["data"] = [5.1, -1.0]
    assert requests.post(url + INFER, json=bad, headers=AUTH, timeout=5).status_code == 400
    failing = {"inputs": [{"name": "value", "datatype": "INT64", "shape": [1], "data": [13]}]}
    assert requests.post(url + "/v2/models/raising_model/infer", json=failing, headers=AUTH,
                         timeout=5).status_code == 500
    assert requests.post(url + INFER, json=iris_body(), timeout=5).status_code == 401

    def grew(before: dict, after: dict, **labels) -> float:
        key = tuple(sorted(labels.items()))
        return after.get(key, 0) - before.get(key, 0)

    after = samples(url, "model_service_http_requests_total")
    route = "/v2/models/<name>/infer"
    assert grew(requests_before, after, method="POST", route=route, status="200") == 2
    assert grew(requests_before, after, method="POST", route=route, status="400") == 1
    assert grew(requests_before, after, method="POST", route=route, status="500") == 1
    assert grew(requests_before, after, method="POST", route=route, status="401") == 1
    predictions = samples(url, "model_service_predictions_total")
    assert grew(predictions_before, predictions, model="iris_model", outcome="ok") == 4
    assert grew(predictions_before, predictions, model="iris_model", outcome="invalid") == 2
    assert grew(predictions_before, predictions, model="raising_model", outcome="error") == 1


def test_each_v2_request_is_logged_with_its_route_model_status_and_request_id(url, server):
    response = requests.post(url + INFER, json=iris_body(), timeout=5,
                             headers={**AUTH, "X-Request-ID": "v2-logged"})
    assert response.status_code == 200 and response.headers["X-Request-ID"] == "v2-logged"
    deadline = time.monotonic() + 2  # the line is written just after the answer is sent
    while True:
        entries = [json.loads(line) for line in server.output().splitlines()
                   if line.startswith("{")]
        logged = [entry for entry in entries if entry.get("request_id") == "v2-logged"
                  and entry.get("event") == "request"]
        if logged or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert len(logged) == 1
    assert {key: logged[0][key] for key in ("method", "path", "route", "model", "status")} == {
        "method": "POST", "path": INFER, "route": "/v2/models/<name>/infer",
        "model": "iris_model", "status": 200}
