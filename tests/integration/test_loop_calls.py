"""Quick calls with nothing else in flight run on the worker's event loop (``ops/stand_in.py``),
under the production server: a call that hangs there gets a stand-in, so the worker's other
clients are still served, the hung caller gets its 504, and a stop still drains and exits."""
from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from helpers import IRIS, IRIS_ROW, write_models_file
from model_service.core.limits import CALLER_AFTER_CALLS
from servers import GunicornServer, service_env

pytestmark = pytest.mark.slow

PRODUCTION_CONFIG = ["--config", "python:model_service.ops.gunicorn_conf"]
HANGING = {"class_path": "fixture_models.hanging_model.HangingModel"}
STANDING_IN = "standing in for the loop"


@pytest.fixture
def served(tmp_path):
    """One worker hosting iris and the hanging model (2 s timeout), and its marker folder."""
    markers = tmp_path / "markers"
    markers.mkdir()
    hanging = {**HANGING, "configuration": {"marker_dir": str(markers), "hang_s": 30},
               "limits": {"timeout_s": 2}}
    models = write_models_file(tmp_path, [IRIS, hanging])
    env = service_env(MODEL_SERVICE_CONFIG=str(models), WEB_CONCURRENCY="1")
    with GunicornServer(workers=1, env=env, args=PRODUCTION_CONFIG) as server:
        try:
            yield server, markers
        finally:
            (markers / "release").touch()


def _hang_on_the_loop(server, markers, pool):
    """On one kept-alive connection (the worker's only one), quick calls until the loop runs
    them itself, then one that hangs: the future of its answer, once it has started."""
    session = requests.Session()
    url = f"{server.url}/api/models/hanging_model/predict"
    for _ in range(CALLER_AFTER_CALLS + 2):
        assert session.post(url, json={"value": 0}, timeout=5).json() == {"value": 0}
    hung = pool.submit(session.post, url, json={"value": 7}, timeout=30)
    deadline = time.monotonic() + 10
    while not (markers / "started-7").exists():
        assert time.monotonic() < deadline, "the hanging call never started"
        time.sleep(0.01)
    return hung, session


def _wait_for_the_stand_in(server) -> None:
    """Until the worker logs that a stand-in took its loop (the hung call ran on the loop)."""
    deadline = time.monotonic() + 5
    while STANDING_IN not in server.output():
        assert time.monotonic() < deadline, "no stand-in took the loop"
        time.sleep(0.01)


def test_a_call_hanging_on_the_loop_gets_a_stand_in_and_the_worker_serves_on(served):
    server, markers = served
    with ThreadPoolExecutor(1) as pool:
        hung, session = _hang_on_the_loop(server, markers, pool)
        time.sleep(0.2)
        # The worker's only thread that reads requests is in the model's call: without a
        # stand-in, nothing below would be answered before the release.
        for _ in range(3):
            started = time.monotonic()
            assert requests.get(f"{server.url}/healthz", timeout=5).status_code == 200
            iris = requests.post(f"{server.url}/api/models/iris_model/predict", json=IRIS_ROW,
                                 timeout=5)
            assert iris.json()["species"] == "setosa"
            assert time.monotonic() - started < 1
        answer = hung.result(timeout=30)
    assert answer.status_code == 504  # its own timeout_s, as on the model's own threads
    assert STANDING_IN in server.output()
    (markers / "release").touch()
    # The call returns, the loop's thread takes the loop back; the model now runs on its own
    # threads, and the same connection, and new ones, are served as before.
    url = f"{server.url}/api/models/hanging_model/predict"
    for _ in range(3):
        assert session.post(url, json={"value": 0}, timeout=5).json() == {"value": 0}
        assert requests.post(url, json={"value": 0}, timeout=5).json() == {"value": 0}
    assert server.output().count("Booting worker") == 1  # the same worker all along
    assert server.output().count(STANDING_IN) == 1


def test_with_other_clients_connected_a_lone_call_runs_on_the_loop_and_a_hang_gets_a_stand_in(
        served):
    # Another client keeps its connection open: a round of one prediction with nothing else in
    # flight still runs on the loop (handing it to the runner's thread is what made calls shrink
    # when clients drift apart), and still gets a stand-in when it hangs there.
    server, markers = served
    other = requests.Session()
    iris_url = f"{server.url}/api/models/iris_model/predict"
    assert other.post(iris_url, json=IRIS_ROW, timeout=5).json()["species"] == "setosa"
    with ThreadPoolExecutor(1) as pool:
        hung, _ = _hang_on_the_loop(server, markers, pool)
        _wait_for_the_stand_in(server)
        started = time.monotonic()
        assert other.post(iris_url, json=IRIS_ROW, timeout=5).json()["species"] == "setosa"
        assert time.monotonic() - started < 1  # the other kept-alive client is served on
        assert hung.result(timeout=30).status_code == 504
    (markers / "release").touch()


def test_a_stop_while_a_call_hangs_on_the_loop_answers_it_and_exits(served):
    server, markers = served
    with ThreadPoolExecutor(1) as pool:
        hung, _ = _hang_on_the_loop(server, markers, pool)
        _wait_for_the_stand_in(server)
        server.process.send_signal(signal.SIGTERM)
        # The stand-in drains: the hung caller gets its 504 at its timeout, then the worker
        # ends, though its loop's thread is still in the call, and so does the server.
        assert hung.result(timeout=30).status_code == 504
        assert server.process.wait(timeout=15) == 0
    assert "Traceback" not in server.output()
