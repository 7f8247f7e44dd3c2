"""The production server: a failing model never takes a worker down."""
import pytest
import requests

from helpers import IRIS_ROW, RAISING, write_models_file
from servers import GunicornServer, service_env

pytestmark = pytest.mark.slow


def test_a_raising_model_leaves_every_worker_serving(tmp_path):
    from helpers import IRIS

    path = write_models_file(tmp_path, [IRIS, RAISING])
    with GunicornServer(workers=2, env=service_env(MODEL_SERVICE_CONFIG=str(path))) as server:
        for _ in range(20):
            failed = requests.post(f"{server.url}/api/models/raising_model/predict", json={"value": 13})
            assert failed.status_code == 500
            assert "Traceback" not in failed.text
        pids_before = server.process.pid
        ok = [requests.post(f"{server.url}/api/models/iris_model/predict", json=IRIS_ROW) for _ in range(20)]
        assert all(r.status_code == 200 for r in ok)
        assert server.process.poll() is None and server.process.pid == pids_before
        assert requests.get(f"{server.url}/readyz").status_code == 200
