"""What the server refuses itself, log lines that cannot be forged, and slowed key guessing."""
import re
import socket

import orjson
import pytest
import requests

from helpers import IRIS, IRIS_ROW, write_models_file
from servers import GunicornServer, service_env

PRODUCTION_CONFIG = ["--config", "python:model_service.ops.gunicorn_conf"]


@pytest.fixture(scope="module")
def text_server(tmp_path_factory):
    """The production server with the text log format."""
    path = write_models_file(tmp_path_factory.mktemp("edges"), [IRIS])
    env = service_env(MODEL_SERVICE_CONFIG=str(path), MODEL_SERVICE_LOG_FORMAT="text",
                      WEB_CONCURRENCY="1")
    with GunicornServer(workers=1, env=env, args=PRODUCTION_CONFIG) as running:
        yield running


def _raw(server, request: bytes) -> tuple[bytes, dict, bytes]:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as client:
        client.sendall(request)
        answer = b""
        while part := client.recv(65536):
            answer += part
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return lines[0].encode(), headers, body


@pytest.mark.slow
@pytest.mark.parametrize("request_bytes, status", [
    (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"b" * 9000 + b"\r\n\r\n", 431),
    (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(120))
     + b"\r\n", 431),
    (b"G@T / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
])
def test_what_the_server_refuses_itself_is_a_problem_with_our_headers(text_server, request_bytes,
                                                                       status):
    line, headers, body = _raw(text_server, request_bytes)
    assert line.startswith(b"HTTP/1.1 %d " % status)
    assert headers["Content-Type"] == "application/problem+json"
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert headers["X-Content-Type-Options"] == "nosniff"
    problem = orjson.loads(body)
    assert problem["status"] == status and problem["request_id"] == headers["X-Request-ID"]


@pytest.mark.slow
def test_a_line_break_in_the_path_cannot_forge_a_log_line(text_server):
    forged = "2026-01-01 00:00:00,000 INFO model_service.access [x] GET /admin 200"
    requests.get(text_server.url + "/nowhere%0a" + forged.replace(" ", "%20"), timeout=5)
    requests.post(f"{text_server.url}/api/models/iris_model/predict", json=IRIS_ROW, timeout=5)
    lines = text_server.output().splitlines()
    assert not any(line.startswith(forged) for line in lines)
    assert any("/nowhere\\x0a2026-01-01" in line for line in lines)


def test_wrong_api_keys_past_the_threshold_are_answered_429_with_retry_after(make_app):
    client = make_app([IRIS], API_KEYS="right-key").test_client()

    def predict(key: str, address: str = "10.0.0.1"):
        return client.post("/api/models/iris_model/predict", json=IRIS_ROW,
                           headers={"Authorization": f"Bearer {key}"},
                           environ_base={"REMOTE_ADDR": address})

    assert [predict(f"guess-{n}").status_code for n in range(10)] == [401] * 10
    refused = predict("guess-10")
    assert refused.status_code == 429
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert predict("right-key").status_code == 429  # no more tries, right or wrong, for now
    assert predict("right-key", address="10.0.0.2").status_code == 200  # another client


def test_the_sign_in_form_is_slowed_down_the_same_way(make_app):
    client = make_app([IRIS], API_KEYS="right-key").test_client()
    page = client.get("/signin").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    def sign_in(key: str):
        return client.post("/signin", data={"csrf_token": token, "api_key": key})

    assert [sign_in(f"guess-{n}").status_code for n in range(11)] == [401] * 10 + [429]
    refused = sign_in("right-key")
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert "Too many wrong keys" in refused.get_data(as_text=True)
