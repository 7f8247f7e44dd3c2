"""Micro-batching under the production server settings: threaded gunicorn workers."""
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from helpers import ECHO, IRIS, IRIS_ROW, RAISING, write_models_file
from servers import GunicornServer, service_env

pytestmark = pytest.mark.slow

PRODUCTION_CONFIG = ["--config", "python:model_service.gunicorn_conf"]


def test_concurrent_requests_on_threaded_workers_each_get_their_own_answer(tmp_path):
    raising_batched = {**RAISING, "batching": {"enabled": True}}
    path = write_models_file(tmp_path, [IRIS, ECHO, raising_batched])
    env = service_env(MODEL_SERVICE_CONFIG=str(path), GUNICORN_KEEPALIVE_REQUESTS="7")
    with GunicornServer(workers=2, env=env, args=PRODUCTION_CONFIG) as server:

        def echo(value):
            with requests.Session() as session:  # keep-alive, closed by the server every 7
                return [session.post(f"{server.url}/api/models/echo_model/predict",
                                     json={"value": (value + i) % 101}) for i in range(10)]

        def raising(value):
            return requests.post(f"{server.url}/api/models/raising_model/predict",
                                 json={"value": value})

        with ThreadPoolExecutor(24) as pool:
            echoes = pool.map(echo, range(24))
            raised = pool.map(raising, [13, 1, 2, 13, 3, 4] * 4)
            iris = pool.map(lambda _: requests.post(
                f"{server.url}/api/models/iris_model/predict", json=IRIS_ROW), range(24))
            for value, responses in zip(range(24), echoes):
                for i, response in enumerate(responses):
                    assert response.status_code == 200
                    assert response.json()["doubled"] == 2 * ((value + i) % 101)
            for value, response in zip([13, 1, 2, 13, 3, 4] * 4, raised):
                assert response.status_code == (500 if value == 13 else 200)
                if value != 13:
                    assert response.json()["doubled"] == 2 * value
            assert all(r.status_code == 200 and r.json()["species"] == "setosa" for r in iris)
        assert "Traceback" not in "".join(r.text for r in raised)
