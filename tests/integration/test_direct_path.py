"""The worker's direct path (ops/direct.py) under the production server: plain single predictions
answered by the event loop say and count exactly what Flask's answers do, errors included."""
from __future__ import annotations

import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from helpers import IRIS, IRIS_ROW, RAISING, BAD_OUTPUT, write_models_file
from servers import GunicornServer, service_env

pytestmark = pytest.mark.slow

PRODUCTION_CONFIG = ["--config", "python:model_service.ops.gunicorn_conf"]
HANGING = {"class_path": "fixture_models.hanging_model.HangingModel"}
V2_ROW = {"id": "row-1", "inputs": [
    {"name": name, "datatype": "FP64", "shape": [1], "data": [value]}
    for name, value in IRIS_ROW.items()]}
VARYING = {"date", "x-request-id"}  # headers that differ from one answer to the next


def _serve(tmp_path, markers, **env):
    hanging = {**HANGING, "configuration": {"marker_dir": str(markers), "hang_s": 20},
               "limits": {"timeout_s": 1, "max_concurrency": 1, "max_queue": 1}}
    models = write_models_file(tmp_path, [IRIS, RAISING, BAD_OUTPUT, hanging])
    return GunicornServer(workers=1, args=PRODUCTION_CONFIG, env=service_env(
        MODEL_SERVICE_CONFIG=str(models), WEB_CONCURRENCY="1", **env))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("direct")
    markers = tmp_path / "markers"
    markers.mkdir()
    with _serve(tmp_path, markers) as served:
        served.markers = markers
        yield served
        (markers / "release").touch()


def _access_lines(server, request_id: str) -> list[dict]:
    lines = [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("request_id") == request_id]


def _metric(server, line_start: str) -> float:
    for line in requests.get(f"{server.url}/metrics", timeout=5).text.splitlines():
        if line.startswith(line_start + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.mark.parametrize("path, body", [
    ("/api/models/iris_model/predict", IRIS_ROW),
    ("/v2/models/iris_model/infer", V2_ROW),
    ("/v2/models/iris_model/versions/1.0.0/infer", V2_ROW),
])
def test_a_plain_prediction_is_answered_by_the_loop_exactly_as_flask_answers_it(server, path,
                                                                               body):
    direct = requests.post(server.url + path, json=body, timeout=5,
                           headers={"X-Request-ID": f"direct-{len(path)}"})
    # A query string is one of the things the direct path leaves to Flask.
    flask = requests.post(server.url + path + "?via=flask", json=body, timeout=5,
                          headers={"X-Request-ID": f"flask-{len(path)}"})
    assert direct.status_code == flask.status_code == 200
    assert direct.content == flask.content
    assert {name: value for name, value in direct.headers.items()
            if name.lower() not in VARYING} == {
        name: value for name, value in flask.headers.items() if name.lower() not in VARYING}
    assert direct.headers["X-Request-ID"] == f"direct-{len(path)}"
    time.sleep(0.2)
    [by_loop] = _access_lines(server, f"direct-{len(path)}")
    [by_flask] = _access_lines(server, f"flask-{len(path)}")
    assert by_loop.pop("direct") is True and "direct" not in by_flask
    for line in (by_loop, by_flask):
        for varying in ("time", "request_id", "duration_ms", "message", "path"):
            line.pop(varying)
    assert by_loop == by_flask


def test_loop_answers_are_counted_like_any_other(server):
    ok = 'model_service_predictions_total{model="iris_model",outcome="ok"}'
    http = ('model_service_http_requests_total{method="POST",'
            'route="/api/models/<name>/predict",status="200"}')
    before = _metric(server, ok), _metric(server, http)
    with requests.Session() as session:
        for _ in range(25):
            assert session.post(f"{server.url}/api/models/iris_model/predict", json=IRIS_ROW,
                                timeout=5).status_code == 200
    # The HTTP count is written just after the answer is sent (``DirectRoutes.record``).
    deadline = time.monotonic() + 2
    while _metric(server, http) < before[1] + 25 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert (_metric(server, ok), _metric(server, http)) == (before[0] + 25, before[1] + 25)
    calls = _metric(server, 'model_service_batch_size_count{model="iris_model"}')
    assert calls >= 25  # one micro-batch call per request when they come one at a time


def test_a_model_that_raises_gets_its_500_in_each_protocol_with_the_traceback_logged(server):
    native = requests.post(f"{server.url}/api/models/raising_model/predict",
                           json={"value": 13}, headers={"X-Request-ID": "raises-1"}, timeout=5)
    assert native.status_code == 500
    assert native.headers["Content-Type"] == "application/problem+json"
    problem = native.json()
    assert problem["request_id"] == "raises-1" and "raising_model" in problem["detail"]
    assert "secret" not in native.text
    v2 = requests.post(f"{server.url}/v2/models/raising_model/infer", timeout=5, json={
        "inputs": [{"name": "value", "datatype": "INT64", "shape": [1], "data": [13]}]})
    assert v2.status_code == 500 and set(v2.json()) == {"error"}
    broken = requests.post(f"{server.url}/api/models/bad_output_model/predict",
                           json={"value": 2}, timeout=5)
    assert broken.status_code == 500 and "output" in broken.json()["detail"]
    time.sleep(0.2)
    records = _access_lines(server, "raises-1")
    assert any("secret internal detail" in record.get("exception", "") for record in records)
    assert any(record.get("status") == 500 and record.get("direct") for record in records)


def test_a_hung_model_times_out_then_refuses_in_each_protocol_while_others_answer(server):
    def hang(path, body):
        return requests.post(server.url + path, json=body, timeout=10)

    v2_body = {"inputs": [{"name": "value", "datatype": "INT64", "shape": [1], "data": [5]}]}
    with ThreadPoolExecutor(3) as pool:
        held = pool.submit(hang, "/api/models/hanging_model/predict", {"value": 4})
        deadline = time.monotonic() + 5
        while not (server.markers / "started-4").exists():
            assert time.monotonic() < deadline
            time.sleep(0.01)
        queued = pool.submit(hang, "/v2/models/hanging_model/infer", v2_body)
        time.sleep(0.2)  # in the queue (max_queue 1): the next one is refused at once
        started = time.monotonic()
        refused = hang("/api/models/hanging_model/predict", {"value": 6})
        assert refused.status_code == 503 and time.monotonic() - started < 0.5
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.headers["Content-Type"] == "application/problem+json"
        refused_v2 = hang("/v2/models/hanging_model/infer", v2_body)
        assert refused_v2.status_code == 503 and set(refused_v2.json()) == {"error"}
        assert refused_v2.headers["Retry-After"]
        iris = requests.post(f"{server.url}/api/models/iris_model/predict", json=IRIS_ROW,
                             timeout=5)
        assert iris.status_code == 200
        assert held.result().status_code == 504
        timed_out = queued.result()
    assert timed_out.status_code == 504 and "hanging_model" in timed_out.json()["error"]
    assert not (server.markers / "started-5").exists()  # timed out in the queue: never run
    text = requests.get(f"{server.url}/metrics", timeout=5).text
    assert 'model_service_predictions_total{model="hanging_model",outcome="timeout"} 2.0' in text
    assert 'model_service_predictions_total{model="hanging_model",outcome="busy"} 2.0' in text


def test_pipelined_and_alternating_requests_on_one_connection_are_answered_in_order(server):
    body = json.dumps(IRIS_ROW).encode()
    one = (b"POST /api/models/iris_model/predict HTTP/1.1\r\nHost: x\r\n"
           b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode()
           + b"\r\n\r\n" + body)
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as client:
        client.sendall(one + one)  # two in one write: the second arrives with the first
        answers = b""
        while answers.count(b"HTTP/1.1 200 OK") < 2 or not answers.endswith(b"}"):
            chunk = client.recv(65536)
            assert chunk, answers
            answers += chunk
        client.sendall(one)  # then one more on the same connection
        again = client.recv(65536)
    assert answers.count(b'"species":"setosa"') == 2 and b'"species":"setosa"' in again
    with requests.Session() as session:
        for path in ("/api/models/iris_model/predict", "/api/models/iris_model/predict?x=1",
                     "/api/models/iris_model/predict"):
            assert session.post(server.url + path, json=IRIS_ROW, timeout=5).ok
        assert session.get(f"{server.url}/healthz", timeout=5).ok


def test_connection_close_is_honoured(server):
    answer = requests.post(f"{server.url}/api/models/iris_model/predict", json=IRIS_ROW,
                           headers={"Connection": "close"}, timeout=5)
    assert answer.ok and answer.headers["Connection"] == "close"


def test_api_keys_hold_on_the_direct_path_lockout_included(tmp_path):
    markers = tmp_path / "markers"
    markers.mkdir()
    url_path = "/api/models/iris_model/predict"
    with _serve(tmp_path, markers, MODEL_SERVICE_API_KEYS="right-key") as served:
        assert requests.post(served.url + url_path, json=IRIS_ROW, timeout=5).status_code == 401
        good = {"Authorization": "Bearer right-key"}
        assert requests.post(served.url + url_path, json=IRIS_ROW, headers=good,
                             timeout=5).status_code == 200
        assert requests.post(served.url + url_path, json=IRIS_ROW, timeout=5,
                             headers={"X-API-Key": "right-key"}).status_code == 200
        statuses = [requests.post(served.url + url_path, json=IRIS_ROW, timeout=5,
                                  headers={"X-API-Key": "wrong"}).status_code
                    for _ in range(11)]
        assert statuses[0] == 401 and statuses[-1] == 429
        # Locked out: even the right key waits, on the direct path as on Flask's.
        assert requests.post(served.url + url_path, json=IRIS_ROW, headers=good,
                             timeout=5).status_code == 429


def test_connections_opened_together_are_spread_over_the_workers(tmp_path):
    """Kept-alive connections stay where they were accepted: the workers share the load from
    the start (ops/balance.py), not only after each connection's hundredth request."""
    models = write_models_file(tmp_path, [IRIS])
    env = service_env(MODEL_SERVICE_CONFIG=str(models), WEB_CONCURRENCY="2")
    body = json.dumps(IRIS_ROW).encode()
    with GunicornServer(workers=2, args=PRODUCTION_CONFIG, env=env) as served:
        deadline = time.monotonic() + 10
        while served.output().count("Booting worker") < 2:  # ready answers with the first
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.3)
        for trial in range(3):
            clients = [socket.create_connection(("127.0.0.1", served.port), timeout=5)
                       for _ in range(16)]
            for index, client in enumerate(clients):
                client.sendall(
                    b"POST /api/models/iris_model/predict HTTP/1.1\r\nHost: x\r\n"
                    b"Content-Type: application/json\r\nX-Request-ID: spread-%d-%d\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (trial, index, len(body), body))
            for client in clients:
                assert client.recv(65536).startswith(b"HTTP/1.1 200 ")
            time.sleep(0.2)
            pids = [line["pid"] for index in range(16)
                    for line in _access_lines(served, f"spread-{trial}-{index}")]
            per_worker = sorted(pids.count(pid) for pid in set(pids))
            assert len(pids) == 16 and len(per_worker) == 2, per_worker
            assert per_worker[1] - per_worker[0] <= 4, per_worker
            for client in clients:
                client.close()
            time.sleep(0.3)


def test_tritonclient_gets_503_over_the_queue_and_504_past_the_timeout(server):
    """The published V2 client sees the limits' refusals in V2's shape (1 slot, queue of 1)."""
    import numpy as np
    import tritonclient.http as triton
    from tritonclient.utils import InferenceServerException

    def infer(value: int) -> tuple[int, str, float]:
        client = triton.InferenceServerClient(server.url.removeprefix("http://"),
                                              network_timeout=10)
        tensor = triton.InferInput("value", [1], "INT64")
        tensor.set_data_from_numpy(np.array([value]))
        started = time.monotonic()
        try:
            client.infer("hanging_model", [tensor])
            return 200, "", time.monotonic() - started
        except InferenceServerException as error:
            return int(error.status()), error.message(), time.monotonic() - started
        finally:
            client.close()

    with ThreadPoolExecutor(3) as pool:
        answers = [pool.submit(infer, 30)]
        time.sleep(0.3)  # running, or waiting behind an earlier hung call: either holds a place
        answers.append(pool.submit(infer, 31))
        time.sleep(0.3)
        answers.append(pool.submit(infer, 32))
        outcomes = [answer.result() for answer in answers]
    statuses = [status for status, _, _ in outcomes]
    assert statuses[2] == 503 and set(statuses) <= {503, 504} and 504 in statuses, outcomes
    for status, message, seconds in outcomes:
        if status == 503:
            assert "Model 'hanging_model' is busy" in message and seconds < 0.5
        else:
            assert "did not answer within its limit of 1 s" in message and 0.9 < seconds < 3


def test_clients_that_leave_at_any_moment_never_take_a_worker_down(tmp_path):
    """Answers, departures and closes of one turn of the loop in every order: no worker dies."""
    models = write_models_file(tmp_path, [IRIS])
    env = service_env(MODEL_SERVICE_CONFIG=str(models), WEB_CONCURRENCY="1")
    body = json.dumps(IRIS_ROW).encode()
    request = (b"POST /api/models/iris_model/predict HTTP/1.1\r\nHost: x\r\n"
               b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
               % (len(body), body))

    def hit_and_leave(index: int) -> None:
        with socket.create_connection(("127.0.0.1", served.port), timeout=5) as client:
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                              if index % 2 else b"\x00" * 8)  # half reset, half close
            client.sendall(request * (1 + index % 3))  # one, two or three requests
            time.sleep((index % 7) * 0.0003)  # gone before, while or after its answer is made
            if index % 5 == 0:
                client.recv(100)

    with GunicornServer(workers=1, args=PRODUCTION_CONFIG, env=env) as served:
        with ThreadPoolExecutor(32) as pool:
            for _ in range(4):
                list(pool.map(hit_and_leave, range(500)))
        answer = requests.post(f"{served.url}/api/models/iris_model/predict", json=IRIS_ROW,
                               timeout=5)
        output = served.output()
    assert answer.status_code == 200
    assert "Exception in worker process" not in output and output.count("Booting worker") == 1
    assert "event failed" not in output  # nothing even reached the loop's safety net
