"""Peers: serve the iris artifact with MLServer and BentoML, each from a virtualenv of its own.

A peer's virtualenv is made on first use under ``bench/.peers/<name>`` (``python -m venv``, then
pip with the pins of ``bench/peers/<name>.txt`` plus the scikit-learn, joblib and numpy releases
this interpreter runs, so that every side runs the artifact with the same code) and reused while
they stay the same. This module only prepares: ``bench.run`` starts and stops the servers, so
that its clean-up covers them.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VENVS = ROOT / "bench" / ".peers"
ARTIFACT = ROOT / "iris_model" / "artifacts" / "iris_classifier.joblib"
FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
INSTALL_TIMEOUT_S = 900
NAMES = ("mlserver", "bentoml")


@dataclass
class Peer:
    """How to run one peer: its command, environment, directory, and the request to time."""

    name: str
    version: str
    command: list[str]
    ready_path: str
    predict_path: str
    body: dict
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path = ROOT

    def species(self, answer: dict) -> str:
        """The species a peer's answer names (each speaks its own protocol)."""
        if self.name == "mlserver":
            outputs = {output["name"]: output for output in answer["outputs"]}
            return outputs["predict"]["data"][0]
        return answer["species"]


def _pins() -> list[str]:
    """The model's libraries at the releases this interpreter runs (the artifact's loaders)."""
    return [f"{name}=={metadata.version(name)}" for name in ("scikit-learn", "joblib", "numpy")]


def environment(name: str, log=print) -> Path:
    """Return the Python of the peer's virtualenv, making or remaking it when its pins changed."""
    requirements = HERE / f"{name}.txt"
    venv = VENVS / name
    python = venv / "bin" / "python"
    wanted = {"requirements": requirements.read_text(), "pins": _pins(),
              "python": sys.version.split()[0]}
    stamp = venv / ".bench-stamp.json"
    if python.exists() and stamp.exists() and json.loads(stamp.read_text()) == wanted:
        return python
    if venv.exists():
        shutil.rmtree(venv)
    log(f"  installing {name} into {venv.relative_to(ROOT)} (first run only) ...")
    started = time.perf_counter()
    VENVS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile() as output:
        try:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True,
                           stdout=output, stderr=subprocess.STDOUT, timeout=120)
            subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                            "--disable-pip-version-check", "-r", str(requirements),
                            *wanted["pins"]], check=True, stdout=output, stderr=subprocess.STDOUT,
                           timeout=INSTALL_TIMEOUT_S)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            output.seek(0)
            shutil.rmtree(venv, ignore_errors=True)
            raise RuntimeError(f"installing {name} failed ({error}): "
                               f"{output.read().decode(errors='replace')[-1500:]}") from None
    stamp.write_text(json.dumps(wanted, indent=2) + "\n")
    log(f"  installed {name} in {time.perf_counter() - started:.0f} s")
    return python


def installed_version(python: Path, distribution: str) -> str:
    code = f"from importlib.metadata import version; print(version({distribution!r}))"
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True,
                          timeout=60).stdout.strip()


def mlserver(python: Path, version: str, host: str, ports: list[int], workers: int,
             workdir: Path) -> Peer:
    """MLServer's scikit-learn runtime on the artifact, answered through its V2 REST endpoint.

    ``parallel_workers`` is our worker count: MLServer parses HTTP in one process and hands each
    request to one of these inference processes. Everything else is as shipped (Prometheus
    metrics on, no access log). gRPC cannot be turned off; it listens on ``host`` too.
    """
    http_port, grpc_port, metrics_port = ports
    (workdir / "settings.json").write_text(json.dumps({
        "host": host, "http_port": http_port, "grpc_port": grpc_port,
        "metrics_port": metrics_port, "parallel_workers": workers,
        "metrics_dir": str(workdir / "metrics"), "environments_dir": str(workdir / "envs"),
    }))
    (workdir / "iris").mkdir()
    (workdir / "iris" / "model-settings.json").write_text(json.dumps({
        "name": "iris", "implementation": "mlserver_sklearn.SKLearnModel",
        "parameters": {"uri": str(ARTIFACT)},
    }))
    # One row as a V2 tensor, asking for what our endpoint answers: the species and the
    # probabilities (the runtime calls the pipeline once per output asked for).
    body = {
        "inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP64",
                    "data": [5.1, 3.5, 1.4, 0.2]}],
        "outputs": [{"name": "predict"}, {"name": "predict_proba"}],
    }
    return Peer("mlserver", version,
                [str(python.parent / "mlserver"), "start", str(workdir)],
                ready_path="/v2/models/iris/ready", predict_path="/v2/models/iris/infer",
                body=body, cwd=workdir)


def bentoml(python: Path, version: str, host: str, port: int, workers: int,
            workdir: Path) -> Peer:
    """The BentoML service of ``bentoml_iris.py``, started with ``bentoml serve`` as shipped
    (access log and metrics on); its body is our own request body."""
    body = dict(zip(FEATURES, (5.1, 3.5, 1.4, 0.2)))
    env = {
        "BENCH_WORKERS": str(workers),  # read by the service: BentoML >= 1.2 ignores --api-workers
        "BENTOML_HOME": str(workdir),  # its store of bentos and models: none needed here
        "BENTOML_DO_NOT_TRACK": "true",  # no usage reports leave the machine
    }
    return Peer("bentoml", version,
                [str(python.parent / "bentoml"), "serve", "bentoml_iris:IrisClassifier",
                 "--working-dir", str(HERE), "--host", host, "--port", str(port)],
                ready_path="/readyz", predict_path="/predict", body=body, env=env, cwd=workdir)


def enabled() -> bool:
    """Whether the bench runs the peers (``BENCH_PEERS=0`` skips them)."""
    return os.environ.get("BENCH_PEERS", "1") != "0"
