"""A separately packaged model, installed with pip, is discovered through its entry point."""
import subprocess
import sys

import pytest
import requests

from servers import FIXTURES, GunicornServer, service_env

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed_package(tmp_path_factory):
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(FIXTURES / "external_model_pkg")],
        check=True,
    )
    return target


def test_pip_installed_model_is_served_without_configuration_change(installed_package):
    env = service_env(PYTHONPATH=f"{installed_package}:{service_env()['PYTHONPATH']}")
    with GunicornServer(workers=1, env=env) as server:
        models = {m["qualified_name"]: m for m in requests.get(f"{server.url}/api/models").json()["models"]}
        assert models["sentiment_stub"]["status"] == "ready"
        assert models["sentiment_stub"]["version"] == "3.2.1"
        assert models["iris_model"]["status"] == "ready"
        response = requests.post(f"{server.url}/api/models/sentiment_stub/predict",
                                 json={"text": "hello model service"})
        assert response.json() == {"length": 19, "words": 3}
        assert requests.get(f"{server.url}/readyz").status_code == 200


def test_without_the_package_the_model_is_absent():
    with GunicornServer(workers=1) as server:
        names = [m["qualified_name"] for m in requests.get(f"{server.url}/api/models").json()["models"]]
        assert "sentiment_stub" not in names and "iris_model" in names
