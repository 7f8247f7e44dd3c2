"""From a trained model to a served package: the README's walkthrough, run as written, and
`new --from-joblib` for pipelines fitted on arrays and on DataFrames."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import joblib
import pytest
import requests
from sklearn.datasets import load_wine
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from servers import FIXTURES, REPO_ROOT, GunicornServer, service_env

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


def walkthrough() -> list[str]:
    """The commands of the README's "Write a model package" block, as written."""
    text = (REPO_ROOT / "README.md").read_text()
    block = text.split("## Write a model package", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    return [line for line in block.strip().splitlines() if line.strip()]


def author_env(site: Path) -> dict:
    """A shell where `.venv/bin/pip install` puts packages into ``site`` (not the test's venv)."""
    env = {key: value for key, value in os.environ.items() if key != "MODEL_SERVICE_CONFIG"}
    env.update(PIP_TARGET=str(site), PIP_NO_DEPS="1", PIP_NO_BUILD_ISOLATION="0",
               PYTHONPATH=str(site), MODEL_SERVICE_LOG_LEVEL="WARNING")
    return env


def run(command: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    command = command.replace(".venv/bin/", f"{BIN}/")
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_the_readme_walkthrough_creates_checks_and_serves_a_package(tmp_path):
    site = tmp_path / "site"
    env = author_env(site)
    commands = walkthrough()
    assert commands[0].startswith(".venv/bin/model-service new ")
    outputs = []
    for command in commands:
        result = run(command, tmp_path, env)
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
        outputs.append(result.stdout)
    name = commands[0].split()[-1]
    checked = outputs[[i for i, c in enumerate(commands) if " check " in c][0]]
    assert f"{name} (package" in checked and "passed every check" in checked
    served = service_env(PYTHONPATH=f"{site}{os.pathsep}{FIXTURES}")
    with GunicornServer(workers=1, env=served, cwd=tmp_path) as server:
        models = {m["qualified_name"]: m for m in
                  requests.get(f"{server.url}/api/models").json()["models"]}
        assert models[name]["status"] == "ready"
        schema = requests.get(f"{server.url}/api/models/{name}/metadata").json()["input_schema"]
        assert "od280/od315_of_diluted_wines" in schema["properties"]
        data = load_wine()
        row = dict(zip(data.feature_names, map(float, data.data[0])))
        answer = requests.post(f"{server.url}/api/models/{name}/predict", json=row).json()
        assert answer["label"] == "class_0" and abs(sum(answer["probabilities"].values()) - 1) < 1e-9


def make_and_check(tmp_path: Path, estimator, *options: str) -> subprocess.CompletedProcess:
    artifact = tmp_path / "fitted.joblib"
    joblib.dump(estimator, artifact)
    env = author_env(tmp_path / "site")
    created = run(f".venv/bin/model-service new wrapped --from-joblib {artifact} "
                  + " ".join(options), tmp_path, env)
    assert created.returncode == 0, created.stderr
    # Loaded from its folder by a models file (the walkthrough above covers `pip install`).
    models = tmp_path / "models.yaml"
    models.write_text("discover_entry_points: false\nmodels:\n"
                      "  - class_path: wrapped.WrappedModel\n")
    env.update(PYTHONPATH=str(tmp_path / "wrapped"), MODEL_SERVICE_CONFIG=str(models))
    return run(".venv/bin/model-service check wrapped", tmp_path, env)


def test_from_joblib_wraps_a_pipeline_fitted_on_arrays_with_named_features(tmp_path):
    data = load_wine()
    estimator = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    estimator.fit(data.data, data.target_names[data.target])
    checked = make_and_check(tmp_path, estimator, "--features", ",".join(data.feature_names))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "predict_batch agrees with predict" in checked.stdout


def test_from_joblib_wraps_a_regressor_fitted_on_a_dataframe(tmp_path):
    pandas = pytest.importorskip("pandas")
    data = load_wine()
    frame = pandas.DataFrame(data.data, columns=data.feature_names)
    estimator = LinearRegression().fit(frame.drop(columns=["alcohol"]), frame["alcohol"])
    checked = make_and_check(tmp_path, estimator)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert '{"prediction":' in checked.stdout


def test_from_joblib_refuses_features_that_do_not_fit(tmp_path):
    estimator = LinearRegression().fit([[1.0, 2.0], [2.0, 1.0], [3.0, 3.0]], [1.0, 2.0, 3.0])
    joblib.dump(estimator, tmp_path / "fitted.joblib")
    result = run(f".venv/bin/model-service new wrapped --from-joblib {tmp_path}/fitted.joblib "
                 "--features a,b,c", tmp_path, author_env(tmp_path / "site"))
    assert result.returncode != 0 and "the estimator takes 2" in result.stderr
    assert not (tmp_path / "wrapped").exists()
