"""Slow and idle clients cost a buffer and a timer, not a thread (the production worker)."""
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import orjson
import pytest
import requests

from helpers import IRIS, IRIS_ROW, write_models_file
from servers import GunicornServer, service_env

pytestmark = pytest.mark.slow

PRODUCTION_CONFIG = ["--config", "python:model_service.ops.gunicorn_conf"]
PREDICT = "/api/models/iris_model/predict"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = write_models_file(tmp_path_factory.mktemp("slow"), [IRIS])
    env = service_env(MODEL_SERVICE_CONFIG=str(path), WEB_CONCURRENCY="1", GUNICORN_THREADS="4",
                      GUNICORN_HEADER_TIMEOUT="2", GUNICORN_BODY_TIMEOUT="2")
    with GunicornServer(workers=1, env=env, args=PRODUCTION_CONFIG) as running:
        yield running


def _connect(server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def _head(length: int) -> bytes:
    return (f"POST {PREDICT} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()


def _timed_get(url: str) -> tuple[int, float]:
    started = time.monotonic()
    status = requests.get(url, timeout=5).status_code
    return status, time.monotonic() - started


def test_probes_answer_within_a_second_while_hundreds_of_slow_clients_are_connected(server):
    body = orjson.dumps(IRIS_ROW)
    stalled = []
    try:
        for index in range(300):  # 4 threads: any four of these would hold every one of them
            client = _connect(server)
            if index % 3 == 0:
                client.sendall(b"POST " + PREDICT.encode() + b" HTTP/1.1\r\nHost: x\r\n")
            elif index % 3 == 1:
                client.sendall(_head(len(body)) + body[:5])
            stalled.append(client)  # the rest send nothing at all
        for _ in range(3):
            for path in ("/healthz", "/readyz"):
                status, seconds = _timed_get(server.url + path)
                assert status == 200 and seconds < 1, (path, seconds)
        started = time.monotonic()
        prediction = requests.post(server.url + PREDICT, json=IRIS_ROW, timeout=5)
        assert prediction.json()["species"] == "setosa" and time.monotonic() - started < 1
    finally:
        for client in stalled:
            client.close()


def _answer(client: socket.socket) -> bytes:
    answer = b""
    while part := client.recv(65536):
        answer += part
    return answer


def test_a_request_whose_head_stalls_gets_a_408_problem_and_is_closed(server):
    with _connect(server) as client:
        client.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        answer = _answer(client)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"application/problem+json" in answer and b'"status":408' in answer
    assert 1.5 < time.monotonic() - started < 4.5


def test_a_request_whose_body_stalls_gets_a_408_and_is_closed(server):
    body = orjson.dumps(IRIS_ROW)
    with _connect(server) as client:
        client.sendall(_head(len(body)) + body[:10])
        started = time.monotonic()
        answer = _answer(client)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert 1.5 < time.monotonic() - started < 4.5


def test_a_large_body_that_stalls_frees_its_thread_with_a_408(server):
    # Over the part the loop reads itself: a thread reads the rest, each read under a timeout.
    body = b'{"a": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    with _connect(server) as client:
        client.sendall(_head(len(body)) + body[: 2 * 1024 * 1024])
        started = time.monotonic()
        answer = _answer(client)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b'"status":408' in answer and b"too slowly" in answer
    assert time.monotonic() - started < 6


def test_a_request_trickled_in_pieces_within_the_deadline_is_served(server):
    body = orjson.dumps(IRIS_ROW)
    raw = _head(len(body)) + body
    with _connect(server) as client:
        for start in range(0, len(raw), 20):
            client.sendall(raw[start:start + 20])
            time.sleep(0.01)
        answer = b""
        while b"setosa" not in answer and (part := client.recv(65536)):
            answer += part
    assert answer.startswith(b"HTTP/1.1 200 ") and b"setosa" in answer


def test_kept_alive_connections_serve_request_after_request(server):
    with requests.Session() as session:
        for _ in range(20):
            assert session.post(server.url + PREDICT, json=IRIS_ROW, timeout=5).status_code == 200


def test_requests_past_the_pending_limit_are_refused_at_once_with_retry_after(tmp_path):
    markers = tmp_path / "markers"
    markers.mkdir()
    hanging = {"class_path": "fixture_models.hanging_model.HangingModel",
               "configuration": {"marker_dir": str(markers), "hang_s": 10},
               "limits": {"timeout_s": 3}}
    path = write_models_file(tmp_path, [IRIS, hanging])
    env = service_env(MODEL_SERVICE_CONFIG=str(path), WEB_CONCURRENCY="1", GUNICORN_THREADS="2",
                      GUNICORN_MAX_PENDING="2")
    with GunicornServer(workers=1, env=env, args=PRODUCTION_CONFIG) as server:
        def post(path, body):
            started = time.monotonic()
            response = requests.post(server.url + path, json=body, timeout=10)
            return response, time.monotonic() - started

        # Batches take a thread each (plain single predictions are answered by the worker's
        # loop and hold none: test_direct_path.py).
        with ThreadPoolExecutor(8) as pool:
            held = [pool.submit(post, "/api/models/hanging_model/predict_batch", [{"value": v}])
                    for v in (1, 2)]  # both threads, for three seconds
            while len(list(markers.glob("started-*"))) < 2:
                time.sleep(0.01)
            waiting = [pool.submit(post, "/api/models/iris_model/predict_batch", [IRIS_ROW])
                       for _ in range(5)]
            results = [future.result() for future in waiting]
            (markers / "release").touch()
            assert all(future.result()[0].status_code == 504 for future in held)
    statuses = sorted(response.status_code for response, _ in results)
    assert statuses == [200, 200, 503, 503, 503]
    for response, seconds in results:
        if response.status_code == 503:
            assert seconds < 1 and response.headers["Retry-After"] == "1"
            assert response.headers["Content-Type"] == "application/problem+json"
