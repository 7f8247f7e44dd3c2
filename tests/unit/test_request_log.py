"""Request ids and the JSON request log."""
import json
import logging

from helpers import IRIS_ROW
from model_service.ops.request_log import JsonFormatter, configure_logging


def test_incoming_request_id_is_echoed_in_the_response(client):
    response = client.get("/healthz", headers={"X-Request-ID": "trace-42"})
    assert response.headers["X-Request-ID"] == "trace-42"


def test_a_request_without_an_id_gets_a_fresh_one(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert len(first) == 32 and first != second


def test_an_unreasonable_request_id_is_replaced(client):
    response = client.get("/healthz", headers={"X-Request-ID": "x" * 500})
    assert response.headers["X-Request-ID"] != "x" * 500
    response = client.get("/healthz", headers={"X-Request-ID": "has spaces"})
    assert response.headers["X-Request-ID"] != "has spaces"


def test_problem_bodies_carry_the_request_id(client):
    response = client.post("/api/models/iris_model/predict", json={"sepal_length": "3.5"},
                           headers={"X-Request-ID": "bad-input-1"})
    assert response.status_code == 422
    assert response.json["request_id"] == "bad-input-1"
    assert response.headers["X-Request-ID"] == "bad-input-1"


def test_each_request_writes_one_access_line_with_its_fields(client, caplog):
    caplog.set_level(logging.INFO, logger="model_service.access")
    client.post("/api/models/iris_model/predict", json=IRIS_ROW, headers={"X-Request-ID": "r-1"})
    records = [r for r in caplog.records if r.name == "model_service.access"]
    assert len(records) == 1
    entry = json.loads(JsonFormatter().format(records[0]))
    assert entry["request_id"] == "r-1"
    assert entry["method"] == "POST"
    assert entry["route"] == "/api/models/<name>/predict"
    assert entry["model"] == "iris_model"
    assert entry["status"] == 200
    assert entry["duration_ms"] >= 0
    assert entry["time"].endswith("Z") and entry["level"] == "INFO"


def test_a_model_failure_logs_its_traceback_with_the_request_id_but_not_in_the_body(client, caplog):
    response = client.post("/api/models/raising_model/predict", json={"value": 13},
                           headers={"X-Request-ID": "boom-7"})
    assert response.status_code == 500
    assert "secret internal detail" not in response.get_data(as_text=True)
    assert response.json["request_id"] == "boom-7"
    failures = [r for r in caplog.records if r.exc_info]
    assert failures
    entry = json.loads(JsonFormatter().format(failures[0]))
    assert "secret internal detail" in entry["exception"]
    assert entry["request_id"] == "boom-7"


def test_configure_logging_writes_json_lines_when_the_root_logger_is_bare(capsys):
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    root.handlers.clear()
    try:
        configure_logging("WARNING")
        logging.getLogger("model_service.test").warning("hello %s", "there", extra={"x": 1})
        assert root.level == logging.WARNING
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
    line = capsys.readouterr().err.strip().splitlines()[-1]
    entry = json.loads(line)
    assert entry["message"] == "hello there" and entry["x"] == 1 and entry["level"] == "WARNING"
