"""Limits enforced while a body is read and before it is parsed, over real HTTP."""
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson
import pytest
import requests

from helpers import ECHO, IRIS, IRIS_ROW, write_models_file
from servers import GunicornServer, service_env

PREDICT = "/api/models/iris_model/predict"
BATCH = "/api/models/iris_model/predict_batch"


def _exchange(port: int, raw: bytes, half_close: bool = False, timeout: float = 10) -> bytes:
    """Send raw bytes on a fresh connection; return everything the server answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as client:
        client.sendall(raw)
        if half_close:
            client.shutdown(socket.SHUT_WR)
        answer = b""
        while True:
            try:
                part = client.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not part:
                break
            answer += part
            if b"\r\n\r\n" in answer and _complete(answer):
                break
        return answer


def _complete(answer: bytes) -> bool:
    head, _, body = answer.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def _problem(answer: bytes) -> dict:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"content-type: application/problem+json" in head.lower()
    return orjson.loads(body)


def _chunked(path: str, chunks: list[bytes], end: bytes = b"0\r\n\r\n") -> bytes:
    head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    return head + b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + end


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The production server (two gthread workers), 1 MiB body limit."""
    path = write_models_file(tmp_path_factory.mktemp("reading"), [IRIS, ECHO])
    env = service_env(MODEL_SERVICE_CONFIG=str(path), MODEL_SERVICE_MAX_BODY_BYTES=str(2 ** 20),
                      MODEL_SERVICE_MAX_JSON_VALUES="100000")
    with GunicornServer(workers=2, env=env,
                        args=["--config", "python:model_service.ops.gunicorn_conf"]) as running:
        yield running


pytestmark = pytest.mark.slow


def test_a_chunked_body_over_the_limit_is_refused_not_truncated(server):
    valid = orjson.dumps(IRIS_ROW)
    answer = _exchange(server.port, _chunked(PREDICT, [valid] + [b" " * 65536] * 20))
    assert _status(answer) == 413
    assert "limit of 1048576 bytes" in _problem(answer)["detail"]


def test_a_chunked_body_within_the_limit_is_served(server):
    valid = orjson.dumps(IRIS_ROW)
    answer = _exchange(server.port, _chunked(PREDICT, [valid[:10], valid[10:], b" " * 1000]))
    assert _status(answer) == 200 and b"setosa" in answer


def test_a_body_shorter_than_its_content_length_is_a_400(server):
    body = orjson.dumps(IRIS_ROW)
    head = (f"POST {PREDICT} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body) + 50}\r\n\r\n").encode()
    answer = _exchange(server.port, head + body, half_close=True)
    assert _status(answer) == 400
    assert f"after {len(body)} of the {len(body) + 50} bytes" in _problem(answer)["detail"]


@pytest.mark.parametrize("framing", [
    b"zz\r\n{}\r\n0\r\n\r\n",  # not a hexadecimal size
    b"-5\r\n{}\r\n0\r\n\r\n",  # a negative size
    b"2\r\n{}XX0\r\n\r\n",  # a chunk without its CRLF
    b"2\r\n{}\r\n",  # the client stops before the last chunk
])
def test_broken_chunk_framing_is_a_400_problem_not_a_500(server, framing):
    head = (f"POST {PREDICT} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    answer = _exchange(server.port, head + framing, half_close=True)
    assert _status(answer) == 400, answer[:300]
    assert "framing is invalid" in _problem(answer)["detail"]
    assert "Traceback" not in server.output()


def test_a_value_nested_past_the_depth_limit_is_a_400_naming_the_reason(server):
    # 995 levels: orjson parses it, and jsonschema's messages used to recurse past the limit.
    response = requests.post(server.url + PREDICT, data=_deep_body(995),
                             headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 400
    assert "nests 996 levels deep; at most 64" in response.json()["detail"]


def _deep_body(depth: int) -> bytes:
    return (b'{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": '
            + b"[" * depth + b"0" + b"]" * depth + b"}")


def test_brackets_inside_strings_do_not_count_as_nesting(server):
    body = orjson.dumps({**IRIS_ROW, "note": "[" * 200})
    response = requests.post(server.url + PREDICT, data=body,
                             headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 422  # the unknown field, not the brackets
    assert "note" in response.json()["errors"]


def _worker_rss_mib(server: GunicornServer) -> float:
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    total = 0
    for child in children:
        for line in Path(f"/proc/{child}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def _warm_every_worker(server: GunicornServer) -> None:
    """Serve small requests on concurrent connections, which the workers share out: a worker
    forked a moment ago counts the master's pages in its RSS only as it touches them (some
    100 MB for the first requests), which is not memory a request built."""
    def serve(_):
        for _ in range(3):
            assert requests.post(server.url + BATCH, json=[IRIS_ROW], timeout=30).ok

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(serve, range(8)))


def test_a_body_of_a_million_empty_objects_is_refused_before_it_is_built(server):
    body = b"[" + b"{}," * 349_000 + b"{}]"  # just under the 1 MiB body limit
    _warm_every_worker(server)
    before = _worker_rss_mib(server)
    for _ in range(4):
        started = time.monotonic()
        response = requests.post(server.url + BATCH, data=body,
                                 headers={"Content-Type": "application/json"}, timeout=30)
        assert response.status_code == 413
        assert "349001 values; at most 100000" in response.json()["detail"]
        assert time.monotonic() - started < 5
    # Parsed, each such body would be some 28 MB of dicts per request.
    assert _worker_rss_mib(server) - before < 20


def test_commas_inside_strings_are_not_counted_as_values(server):
    body = orjson.dumps([{"value": n % 100, "label": "," * 10} for n in range(10_000)])
    assert body.count(b",") > 100_000  # over the values limit if strings were counted
    response = requests.post(f"{server.url}/api/models/echo_model/predict_batch", data=body,
                             headers={"Content-Type": "application/json"}, timeout=30)
    assert response.status_code == 200 and len(response.json()) == 10_000
