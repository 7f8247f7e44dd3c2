"""The real ``model-service`` command: gunicorn workers, shared metrics, draining, the CLI."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from helpers import ECHO, IRIS, IRIS_ROW, RAISING, write_models_file
from servers import REPO_ROOT, free_port, service_env

pytestmark = pytest.mark.slow

COMMAND = str(Path(sys.executable).with_name("model-service"))


class ServeCommand:
    """``model-service serve`` as a subprocess, its log in a file (a pipe could fill up)."""

    def __init__(self, tmp_path: Path, models: list[dict], *args: str, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / f"serve-{self.port}.log"
        config = write_models_file(tmp_path, models)
        self.command = [COMMAND, "serve", "--port", str(self.port), *args]
        self.env = service_env(MODEL_SERVICE_CONFIG=str(config), **env)
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "ServeCommand":
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(self.command, env=self.env, cwd=REPO_ROOT,
                                        stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + 60
        while True:  # the dev reloader's parent accepts connections before its child answers
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            try:
                requests.get(self.url + "/healthz", timeout=2)
                return self
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            return self.process.wait()

    def __exit__(self, *exc) -> None:
        self.stop()
        self.log.close()

    def log_entries(self) -> list[dict]:
        entries = []
        for line in self.log_path.read_text().splitlines():
            if line.startswith("{"):
                entries.append(json.loads(line))
        return entries


def slow_model(tmp_path: Path) -> dict:
    return {"class_path": "fixture_models.slow_model.SlowModel", "configuration": {
        "started_marker": str(tmp_path / "started"), "release_marker": str(tmp_path / "release")}}


def wait_for(condition, timeout: float = 30, message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{message} not met in {timeout}s")
        time.sleep(0.02)


def counters(url: str) -> dict:
    response = requests.get(url + "/metrics", timeout=5)
    assert response.status_code == 200
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == "model_service_predictions_total":
                found[(sample.labels["model"], sample.labels["outcome"])] = sample.value
    return found


def post(url: str, path: str, body, **headers) -> requests.Response:
    return requests.post(url + path, json=body, headers=headers, timeout=30)


def test_metrics_count_every_prediction_once_across_two_workers(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    models = [IRIS, ECHO, RAISING, slow_model(tmp_path)]
    with ServeCommand(tmp_path, models, "--workers", "2", HOME=str(home), TMPDIR=str(tmp)) as server:
        url = server.url
        with ThreadPoolExecutor(max_workers=1) as pool:
            # One worker is held busy by the slow model: everything sent meanwhile goes to the other.
            slow = pool.submit(post, url, "/api/models/slow_model/predict", {"seconds": 30})
            wait_for((tmp_path / "started").exists, message="slow prediction started")
            for _ in range(10):
                assert post(url, "/api/models/iris_model/predict", IRIS_ROW).status_code == 200
            (tmp_path / "release").touch()
            assert slow.result().status_code == 200
        for _ in range(5):
            assert post(url, "/api/models/iris_model/predict", IRIS_ROW).status_code == 200
        assert post(url, "/api/models/echo_model/predict_batch",
                    [{"value": n} for n in range(4)]).status_code == 200
        for body in ({"sepal_length": 1}, [], "x"):
            assert post(url, "/api/models/iris_model/predict", body).status_code == 422
        for _ in range(2):
            response = post(url, "/api/models/raising_model/predict", {"value": 13},
                            **{"X-Request-ID": "unlucky"})
            assert response.status_code == 500
            assert response.json()["request_id"] == "unlucky"
            assert response.headers["X-Request-ID"] == "unlucky"
        expected = {("iris_model", "ok"): 15, ("iris_model", "invalid"): 3,
                    ("echo_model", "ok"): 4, ("raising_model", "error"): 2,
                    ("slow_model", "ok"): 1}
        for _ in range(4):  # whichever worker answers the scrape, the totals are the same
            assert counters(url) == expected
        assert not (home / ".gunicorn").exists()  # no control socket under $HOME
        metrics_dirs = list(tmp.glob("model-service-metrics-*"))
        assert len(metrics_dirs) == 1
        assert server.stop() == 0
    assert not metrics_dirs[0].exists()  # removed when the server stopped
    entries = server.log_entries()
    predict_pids = {e["pid"] for e in entries
                    if e.get("event") == "request" and e["route"].endswith("/predict")}
    assert len(predict_pids) == 2
    failures = [e for e in entries if e.get("request_id") == "unlucky" and "exception" in e]
    assert failures and "secret internal detail" in failures[0]["exception"]
    assert all(e["logger"] != "gunicorn.access" for e in entries)


def test_sigterm_turns_readyz_503_then_drains_in_flight_requests(tmp_path):
    models = [ECHO, slow_model(tmp_path)]
    with ServeCommand(tmp_path, models, "--workers", "2",
                      MODEL_SERVICE_DRAIN_SECONDS="5") as server:
        url = server.url
        assert requests.get(url + "/readyz", timeout=5).status_code == 200
        result = {}
        in_flight = threading.Thread(target=lambda: result.update(response=post(
            url, "/api/models/slow_model/predict", {"seconds": 30})))
        in_flight.start()
        wait_for((tmp_path / "started").exists, message="slow prediction started")
        server.process.send_signal(signal.SIGTERM)

        seen = {}

        def readyz_answers_503() -> bool:
            seen["readyz"] = requests.get(url + "/readyz", timeout=5)
            return seen["readyz"].status_code == 503

        wait_for(readyz_answers_503, message="/readyz 503 after SIGTERM")
        assert seen["readyz"].json()["status"] == "shutting down"
        # Still serving while the load balancer catches up.
        assert post(url, "/api/models/echo_model/predict", {"value": 2}).status_code == 200

        def idle_worker_exited() -> bool:
            return any(e.get("message", "").startswith("Worker exiting")
                       for e in server.log_entries())

        # After the drain the graceful stop begins: the idle worker leaves, the busy one stays.
        wait_for(idle_worker_exited, message="graceful stop after the drain")
        assert server.process.poll() is None
        (tmp_path / "release").touch()
        in_flight.join(timeout=30)
        assert result["response"].status_code == 200
        assert result["response"].json() == {"slept": 30.0}
        assert server.process.wait(timeout=30) == 0


def test_serve_dev_runs_flasks_reloader_at_the_chosen_log_level(tmp_path):
    server = ServeCommand(tmp_path, [ECHO], "--dev", "--log-level", "WARNING")
    try:
        server.__enter__()
        response = requests.post(server.url + "/api/models/echo_model/predict",
                                 json={"value": 1}, timeout=5)
        assert response.json() == {"doubled": 2, "label": "none"}
    finally:
        if server.process is not None:
            os.killpg(server.process.pid, signal.SIGTERM)  # the reloader and its child
            server.process.wait(timeout=15)
            server.log.close()
    assert not [e for e in server.log_entries() if e["logger"].startswith("model_service")]


def test_predict_command_runs_as_a_real_process(tmp_path):
    config = write_models_file(tmp_path, [ECHO])
    rows = tmp_path / "rows.csv"
    rows.write_text("value,label\n1,a\n-5,b\n3,c\n")
    done = subprocess.run([COMMAND, "predict", "echo_model", str(rows)], capture_output=True,
                          text=True, env=service_env(MODEL_SERVICE_CONFIG=str(config)),
                          cwd=tmp_path, timeout=60)
    assert done.returncode == 1
    assert [json.loads(line) for line in done.stdout.splitlines()] == [
        {"doubled": 2, "label": "a"}, {"doubled": 6, "label": "c"}]
    assert "row 2: value: Must be greater than or equal to 0." in done.stderr
    assert "Traceback" not in done.stderr


def test_make_run_serves_through_the_model_service_command():
    dry_run = subprocess.run(["make", "-n", "run"], capture_output=True, text=True, cwd=REPO_ROOT,
                             env={**os.environ, "MAKEFLAGS": ""})
    assert "model-service serve" in dry_run.stdout


def test_plain_gunicorn_with_the_shared_settings_also_adds_up_its_workers(tmp_path):
    """``gunicorn -c python:model_service.gunicorn_conf`` (the benchmark's way) counts right too."""
    config = write_models_file(tmp_path, [ECHO, slow_model(tmp_path)])
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = service_env(MODEL_SERVICE_CONFIG=str(config), PORT=str(port), WEB_CONCURRENCY="2",
                      TMPDIR=str(tmp_path))
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with (tmp_path / "gunicorn.log").open("w") as log:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config",
                                   "python:model_service.gunicorn_conf"], env=env, cwd=REPO_ROOT,
                                  stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: _answers(url, server), message="gunicorn up")
            with ThreadPoolExecutor(max_workers=1) as pool:
                slow = pool.submit(post, url, "/api/models/slow_model/predict", {"seconds": 30})
                wait_for((tmp_path / "started").exists, message="slow prediction started")
                for value in range(3):
                    assert post(url, "/api/models/echo_model/predict",
                                {"value": value}).status_code == 200
                (tmp_path / "release").touch()
                assert slow.result().status_code == 200
            expected = {("echo_model", "ok"): 3, ("slow_model", "ok"): 1}
            assert counters(url) == expected and counters(url) == expected
            assert list(tmp_path.glob("model-service-metrics-*"))
        finally:
            server.send_signal(signal.SIGTERM)
            assert server.wait(timeout=30) == 0
    assert not list(tmp_path.glob("model-service-metrics-*"))


def _answers(url: str, process: subprocess.Popen) -> bool:
    assert process.poll() is None, "gunicorn exited"
    try:
        requests.get(url + "/healthz", timeout=2)
        return True
    except requests.RequestException:
        return False
