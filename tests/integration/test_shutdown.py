"""Stopping the production server: late clients refused rather than reset, cut requests told."""
from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from helpers import IRIS, write_models_file
from servers import REPO_ROOT, free_port, service_env, wait_until_up

pytestmark = pytest.mark.slow

COMMAND = str(Path(sys.executable).with_name("model-service"))
HANGING = {"class_path": "fixture_models.hanging_model.HangingModel"}
REQUEST = (b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")


class Served:
    """``model-service serve`` hosting iris and the hanging model, its log in a file."""

    def __init__(self, tmp_path: Path, *gunicorn_args: str, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.markers = tmp_path / "markers"
        self.markers.mkdir()
        hanging = {**HANGING, "configuration": {"marker_dir": str(self.markers), "hang_s": 20}}
        models = write_models_file(tmp_path, [IRIS, hanging])
        self.log = (tmp_path / "serve.log").open("w+")
        self.process = subprocess.Popen(
            [COMMAND, "serve", "--port", str(self.port), "--workers", "2", "--", *gunicorn_args],
            env=service_env(MODEL_SERVICE_CONFIG=str(models), **env), cwd=REPO_ROOT,
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until_up(self.url, self.process)

    def hold(self, value: int) -> None:
        """Start a request the hanging model holds until released, and wait until it runs."""
        def send():
            try:
                requests.post(f"{self.url}/api/models/hanging_model/predict",
                              json={"value": value}, timeout=30)
            except requests.ConnectionError:
                pass  # cut by the stop: what one of the tests is about

        threading.Thread(target=send, daemon=True).start()
        deadline = time.monotonic() + 10
        while not (self.markers / f"started-{value}").exists():
            assert time.monotonic() < deadline, "the held request never started"
            time.sleep(0.01)

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def close(self) -> None:
        (self.markers / "release").touch()
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()


def _try(port: int) -> str:
    """One request on a fresh connection: 'answered', 'refused' or 'reset' (after sending)."""
    try:
        client = socket.create_connection(("127.0.0.1", port), timeout=5)
    except ConnectionRefusedError:
        return "refused"
    with client:
        try:
            client.sendall(REQUEST)
            answer = client.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return "reset"
        return "answered" if answer.startswith(b"HTTP/1.1 ") else "reset"


def test_clients_arriving_during_a_stop_are_answered_or_refused_never_reset(tmp_path):
    served = Served(tmp_path)
    try:
        served.hold(1)  # keeps a worker draining for a while after SIGTERM
        served.hold(2)
        outcomes: list[str] = []
        stop = time.monotonic() + 3

        def knock():
            while time.monotonic() < stop:
                outcomes.append(_try(served.port))

        with ThreadPoolExecutor(4) as pool:
            for _ in range(4):
                pool.submit(knock)
            time.sleep(0.5)
            served.process.send_signal(signal.SIGTERM)
            time.sleep(1.5)
            (served.markers / "release").touch()
        assert served.process.wait(timeout=30) == 0
        assert "reset" not in outcomes, outcomes.count("reset")
        assert outcomes.count("answered") > 10 and outcomes.count("refused") > 0
    finally:
        served.close()


def test_a_request_cut_by_the_graceful_timeout_is_logged_and_the_exit_status_says_so(tmp_path):
    served = Served(tmp_path, "--graceful-timeout", "1")
    try:
        served.hold(1)
        served.process.send_signal(signal.SIGTERM)
        assert served.process.wait(timeout=30) == 5
        output = served.output()
        assert "Stopped with requests cut by the graceful timeout (1s)" in output
    finally:
        served.close()
