"""Prometheus metrics of one process: predictions per item by outcome, models, HTTP routes."""
from prometheus_client.parser import text_string_to_metric_families

from helpers import IRIS_ROW


def scrape(client) -> dict:
    """Return ``{(sample name, sorted label items): value}`` from ``/metrics``."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_predictions_are_counted_per_item_by_outcome(client):
    client.post("/api/models/iris_model/predict", json=IRIS_ROW)
    client.post("/api/models/iris_model/predict_batch", json=[IRIS_ROW] * 3)
    client.post("/api/models/iris_model/predict", json={"sepal_length": 1})
    client.post("/api/models/iris_model/predict_batch", json=[IRIS_ROW, {"oops": 1}])
    client.post("/api/models/raising_model/predict", json={"value": 13})
    samples = scrape(client)
    total = "model_service_predictions_total"
    assert value(samples, total, model="iris_model", outcome="ok") == 4
    assert value(samples, total, model="iris_model", outcome="invalid") == 3  # 1 + a refused pair
    assert value(samples, total, model="raising_model", outcome="error") == 1
    assert value(samples, "model_service_batch_size_count", model="iris_model") == 2
    assert value(samples, "model_service_batch_size_sum", model="iris_model") == 4
    assert value(samples, "model_service_prediction_duration_seconds_count",
                 model="iris_model") == 2


def test_models_report_their_status_and_load_time(client):
    samples = scrape(client)
    assert value(samples, "model_service_model_ready", model="iris_model") == 1
    assert value(samples, "model_service_model_ready", model="load_failing_model") == 0
    assert value(samples, "model_service_model_load_seconds", model="iris_model") > 0
    assert value(samples, "model_service_model_info", model="iris_model", version="1.0.0",
                 status="ready", source="config") == 1


def test_http_requests_are_counted_by_route_template_and_status(client):
    client.post("/api/models/iris_model/predict", json=IRIS_ROW)
    client.post("/api/models/no_such_model/predict", json=IRIS_ROW)
    client.get("/no/such/path")
    samples = scrape(client)
    requests_total = "model_service_http_requests_total"
    route = "/api/models/<name>/predict"
    assert value(samples, requests_total, method="POST", route=route, status="200") == 1
    assert value(samples, requests_total, method="POST", route=route, status="404") == 1
    assert value(samples, requests_total, method="GET", route="unmatched", status="404") == 1
    assert not any("no_such_model" in str(key) for key in samples)


def test_two_apps_in_one_process_keep_separate_metrics(make_app, client):
    client.post("/api/models/iris_model/predict", json=IRIS_ROW)
    other = make_app([{"class_path": "iris_model.IrisModel"}]).test_client()
    samples = scrape(other)
    assert value(samples, "model_service_predictions_total", model="iris_model",
                 outcome="ok") == 0
