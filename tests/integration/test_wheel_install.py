"""The built wheel, installed in a fresh virtualenv, serves iris from an empty directory."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from helpers import IRIS_ROW
from servers import REPO_ROOT, free_port

pytestmark = pytest.mark.slow


def clean_env(**extra: str) -> dict:
    """The environment of a user's shell: nothing pointing back into the checkout."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PYTHON", "MODEL_SERVICE", "VIRTUAL_ENV", "PROMETHEUS"))}
    env.update(extra)
    return env


@pytest.fixture
def installed(tmp_path_factory) -> Path:
    """Build the wheel (not editable) and install it with its dependencies in a new virtualenv."""
    root = tmp_path_factory.mktemp("wheel")
    # Build from a copy: setuptools' build/ directory must neither linger in the checkout nor
    # carry files deleted since an earlier build into this wheel.
    source = root / "source"
    shutil.copytree(REPO_ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", "tests",
        "test-artifacts", "bench"))
    wheels = root / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps",
                    "--wheel-dir", str(wheels), "--quiet"],
                   check=True, cwd=root, env=clean_env(), timeout=600)
    wheel = next(wheels.glob("model_service-*.whl"))
    venv = root / "venv"
    # A bare virtualenv: this test's pip installs into it, and pip's cache makes that quick.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   env=clean_env(), timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                    "--no-compile", str(wheel)], check=True, cwd=root, env=clean_env(),
                   timeout=600)
    return venv


PROBE = ("import model_service, iris_model, pathlib;"
         "p = pathlib.Path(model_service.__file__).parent;"
         "a = pathlib.Path(iris_model.__file__).parent / 'artifacts';"
         "print((p / 'templates' / 'error.html').is_file(), (p / 'static').is_dir(),"
         " (a / 'iris_classifier.joblib').is_file(), 'site-packages' in str(p))")


def test_the_installed_wheel_serves_iris_from_an_empty_directory(installed, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    command = str(installed / "bin" / "model-service")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # The listing runs first: its imports write the bytecode the server then reuses.
    listing = subprocess.run([command, "list"], cwd=empty, env=clean_env(), text=True,
                             capture_output=True, timeout=300)
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.splitlines()[1].split() == [
        "iris_model", "1.0.0", "ready", "built-in", "default"]
    # Templates, static files and the artifact come from site-packages, not the checkout.
    probe = subprocess.run([str(installed / "bin" / "python"), "-c", PROBE], cwd=empty,
                           env=clean_env(), text=True, capture_output=True, timeout=120)
    assert probe.stdout.split() == ["True", "True", "True", "True"], probe.stderr
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen([command, "serve", "--port", str(port), "--workers", "2"],
                              cwd=empty, env=clean_env(), stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                requests.get(url + "/healthz", timeout=2)
                break
            except requests.RequestException:
                assert time.monotonic() < deadline, "the installed server did not come up"
                time.sleep(0.2)
        assert requests.get(url + "/readyz", timeout=5).json()["models"] == {"iris_model": "ready"}
        response = requests.post(url + "/api/models/iris_model/predict", json=IRIS_ROW, timeout=5)
        assert response.status_code == 200 and response.json()["species"] == "setosa"
        with requests.get(url + "/static/css/site.css", timeout=5) as css:
            assert css.status_code == 200
        assert "model_service_predictions_total" in requests.get(url + "/metrics", timeout=5).text
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0
        log.close()
    assert list(empty.iterdir()) == []  # nothing written where it ran
