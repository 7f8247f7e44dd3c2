"""The worker's heartbeat to gunicorn's master, beaten at most once a second (``notify``)."""
from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import requests

from helpers import IRIS, IRIS_ROW, write_models_file
from servers import GunicornServer, service_env

PRODUCTION_CONFIG = ["--config", "python:model_service.ops.gunicorn_conf"]


def _workers(server: GunicornServer) -> list[int]:
    pid = server.process.pid
    return [int(child) for child in
            Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_a_busy_or_idle_worker_keeps_beating_and_a_stopped_one_is_replaced(tmp_path):
    models = write_models_file(tmp_path, [IRIS])
    # The master's patience is 2 s: a worker beating less than every second would be killed.
    env = service_env(MODEL_SERVICE_CONFIG=str(models), WORKER_TIMEOUT="2")
    with GunicornServer(workers=1, args=PRODUCTION_CONFIG, env=env) as served:
        [worker] = _workers(served)
        stop = time.monotonic() + 3

        def load():
            with requests.Session() as session:
                while time.monotonic() < stop:
                    assert session.post(f"{served.url}/api/models/iris_model/predict",
                                        json=IRIS_ROW, timeout=5).status_code == 200

        threads = [threading.Thread(target=load) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        time.sleep(3)  # idle: the loop still turns, and beats, at least once a second
        assert _workers(served) == [worker]
        assert "WORKER TIMEOUT" not in served.output()

        os.kill(worker, signal.SIGSTOP)  # a worker that stops beating is replaced
        deadline = time.monotonic() + 15
        while worker in _workers(served) or not _workers(served):
            assert time.monotonic() < deadline, served.output()[-2000:]
            time.sleep(0.1)
        assert "WORKER TIMEOUT" in served.output()
        assert requests.post(f"{served.url}/api/models/iris_model/predict", json=IRIS_ROW,
                             timeout=10).status_code == 200
