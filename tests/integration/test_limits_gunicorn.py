"""Per-model limits under the production server: threaded gunicorn workers with the shared settings."""
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from helpers import IRIS, IRIS_ROW, write_models_file
from servers import GunicornServer, service_env

pytestmark = pytest.mark.slow

PRODUCTION_CONFIG = ["--config", "python:model_service.ops.gunicorn_conf"]
HANGING = {"class_path": "fixture_models.hanging_model.HangingModel"}


@pytest.fixture
def hung_server(request, tmp_path):
    """One gthread worker with 8 threads, hosting iris and a model that hangs until released."""
    markers = tmp_path / "markers"
    markers.mkdir()
    limits = {"timeout_s": 2, "max_concurrency": 4, "max_queue": 64, **getattr(request, "param", {})}
    entry = {**HANGING, "configuration": {"marker_dir": str(markers), "hang_s": 30},
             "limits": limits}
    path = write_models_file(tmp_path, [IRIS, entry])
    env = service_env(MODEL_SERVICE_CONFIG=str(path), GUNICORN_THREADS="8", WEB_CONCURRENCY="1")
    with GunicornServer(workers=1, env=env, args=PRODUCTION_CONFIG) as server:
        try:
            yield server, markers
        finally:
            (markers / "release").touch()


def _hang(url: str, value: int) -> requests.Response:
    return requests.post(f"{url}/api/models/hanging_model/predict", json={"value": value},
                         timeout=30)


def test_a_hung_model_never_blocks_other_models_pages_or_probes(hung_server):
    server, markers = hung_server
    with ThreadPoolExecutor(20) as pool:
        held = [pool.submit(_hang, server.url, value) for value in range(1, 21)]
        time.sleep(0.5)  # every one of them has arrived, and is held or refused
        for path in ("/healthz", "/readyz", "/", "/metrics"):
            started = time.monotonic()
            response = requests.get(server.url + path, timeout=5)
            assert response.status_code == 200, path
            assert time.monotonic() - started < 1, path
        started = time.monotonic()
        iris = requests.post(f"{server.url}/api/models/iris_model/predict", json=IRIS_ROW,
                             timeout=5)
        assert iris.json()["species"] == "setosa" and time.monotonic() - started < 1
        statuses = [answer.result().status_code for answer in held]
    # Its four slots ran, and the sixteen others waited in its queue (max_queue 64) held by the
    # worker's event loop, not by threads (the direct path, ops/direct.py): every caller got its
    # 504 after timeout_s, and the sixteen that never reached a slot were never run.
    assert statuses.count(504) == 20
    assert len(list(markers.glob("started-*"))) == 4


@pytest.mark.parametrize("hung_server", [{"max_concurrency": 1}], indirect=True)
def test_a_request_whose_client_left_while_it_waited_is_never_run(hung_server):
    server, markers = hung_server
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(_hang, server.url, 1)
        deadline = time.monotonic() + 10
        while not (markers / "started-1").exists():
            assert time.monotonic() < deadline
            time.sleep(0.01)
        # Queue one more behind the held call, and walk away from it.
        body = b'{"value": 9}'
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as client:
            client.sendall(b"POST /api/models/hanging_model/predict HTTP/1.1\r\n"
                           b"Host: x\r\nContent-Type: application/json\r\n"
                           b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            time.sleep(0.3)
        time.sleep(0.3)  # the service notices within a tenth of a second
        (markers / "release").touch()
        assert first.result().status_code == 200
    time.sleep(0.3)
    assert not (markers / "started-9").exists()
    assert '"status": 499' in server.output() or '"status":499' in server.output()
