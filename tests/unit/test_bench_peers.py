"""The benchmark's peers: how MLServer and BentoML are set up, and how the table reports them."""
from __future__ import annotations

import json
from pathlib import Path

import joblib
from helpers import IRIS_ROW

from bench import peers, run

PYTHON = Path("/peer/bin/python")


def _figures(rps: float, p99_ms: float) -> dict:
    return {"rps": rps, "p50_ms": p99_ms / 2, "p99_ms": p99_ms, "cpu_us_per_request": 1e6 / rps,
            "non_2xx": 0, "socket_errors": 0}


def test_mlserver_listens_only_on_loopback_and_serves_the_iris_artifact(tmp_path):
    peer = peers.mlserver(PYTHON, "1.7.1", "127.0.0.1", [8001, 8002, 8003], 2, tmp_path)

    settings = json.loads((tmp_path / "settings.json").read_text())
    model = json.loads((tmp_path / "iris" / "model-settings.json").read_text())
    assert settings["host"] == "127.0.0.1"
    ports = (settings["http_port"], settings["grpc_port"], settings["metrics_port"])
    assert ports == (8001, 8002, 8003)
    assert settings["parallel_workers"] == 2
    assert model["implementation"] == "mlserver_sklearn.SKLearnModel"
    assert Path(model["parameters"]["uri"]) == peers.ARTIFACT
    assert peer.command == ["/peer/bin/mlserver", "start", str(tmp_path)]
    assert peer.cwd == tmp_path  # its metrics and environments folders stay out of the checkout


def test_mlserver_is_asked_for_the_species_and_probabilities_of_the_same_row(tmp_path):
    peer = peers.mlserver(PYTHON, "1.7.1", "127.0.0.1", [8001, 8002, 8003], 2, tmp_path)

    body = peer.body
    (tensor,) = body["inputs"]
    assert tensor["shape"] == [1, 4] and tensor["datatype"] == "FP64"
    assert tensor["data"] == [IRIS_ROW[name] for name in peers.FEATURES]
    assert [output["name"] for output in body["outputs"]] == ["predict", "predict_proba"]


def test_the_artifact_the_peers_serve_is_a_fitted_scikit_learn_pipeline():
    from sklearn.pipeline import Pipeline

    model = joblib.load(peers.ARTIFACT)

    assert isinstance(model, Pipeline)
    assert model.predict([[IRIS_ROW[name] for name in peers.FEATURES]]).tolist() == ["setosa"]


def test_an_mlserver_answer_is_read_for_its_predicted_species(tmp_path):
    peer = peers.mlserver(PYTHON, "1.7.1", "127.0.0.1", [8001, 8002, 8003], 2, tmp_path)
    answer = {"model_name": "iris", "outputs": [
        {"name": "predict_proba", "shape": [1, 3], "datatype": "FP64", "data": [0.98, 0.02, 0.0]},
        {"name": "predict", "shape": [1, 1], "datatype": "BYTES", "data": ["setosa"]},
    ]}

    assert peer.species(answer) == "setosa"


def test_bentoml_is_served_on_loopback_with_our_own_request_body(tmp_path):
    peer = peers.bentoml(PYTHON, "1.4.40", "127.0.0.1", 8004, 2, tmp_path)

    command = peer.command
    assert command[:3] == ["/peer/bin/bentoml", "serve", "bentoml_iris:IrisClassifier"]
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert command[command.index("--port") + 1] == "8004"
    assert (Path(command[command.index("--working-dir") + 1]) / "bentoml_iris.py").is_file()
    assert peer.body == IRIS_ROW
    assert peer.env["BENCH_WORKERS"] == "2"
    assert peer.env["BENTOML_DO_NOT_TRACK"] == "true"
    assert peer.species({"species": "setosa", "probabilities": {}}) == "setosa"


def test_bench_peers_0_skips_the_peers_and_anything_else_runs_them(monkeypatch):
    monkeypatch.setenv("BENCH_PEERS", "0")
    assert not peers.enabled()
    monkeypatch.setenv("BENCH_PEERS", "1")
    assert peers.enabled()
    monkeypatch.delenv("BENCH_PEERS")
    assert peers.enabled()


def _peer(name: str, workers: int, label: str, **by_connections) -> dict:
    return {"name": name, "workers": workers, "version": "1", "label": label,
            **{int(c.removeprefix("c")): figures for c, figures in by_connections.items()}}


def _row(lines: list[str], heading: str, label: str) -> list[str]:
    """The figures of one server's row under one connection count's heading."""
    block = lines[lines.index(next(line for line in lines if line.startswith(heading))):]
    row = next(line for line in block if line.startswith("  " + label))
    return row.split()[len(label.split()):]


def test_the_peers_table_gives_one_row_per_server_with_service_over_peer_ratios():
    results = {
        "connections": [16, 64],
        "service": {"label": "Model Service (2 workers)",
                    16: _figures(1200, 40), 64: _figures(1000, 100)},
        "peers": [
            _peer("mlserver", 2, "MLServer 1 (parallel_workers=2)",
                  c16=_figures(300, 80), c64=_figures(500, 200)),
            _peer("bentoml", 2, "BentoML 1 (2 workers)",
                  c16=_figures(400, 160), c64=_figures(400, 400)),
        ],
    }

    lines = run.peers_table(results).splitlines()

    assert _row(lines, "single predictions, 16 conn", "MLServer 1 (parallel_workers=2)") == [
        "300", "4.00x", "40.00", "80.00", "0.50x", "3333", "0.25x"]
    assert _row(lines, "single predictions, 64 conn", "BentoML 1 (2 workers)") == [
        "400", "2.50x", "200.00", "400.00", "0.25x", "2500", "0.40x"]
    assert _row(lines, "single predictions, 64 conn", "Model Service (2 workers)") == [
        "1000", "50.00", "100.00", "1000"]


def test_the_three_times_target_is_checked_against_the_fastest_mlserver():
    results = {
        "connections": [16, 64],
        "service": {"label": "Model Service (2 workers)",
                    16: _figures(1200, 40), 64: _figures(1500, 100)},
        "peers": [
            _peer("mlserver", 2, "MLServer 1 (parallel_workers=2)",
                  c16=_figures(300, 80), c64=_figures(600, 200)),
            _peer("mlserver", 0, "MLServer 1 (parallel_workers=0)",
                  c16=_figures(350, 80), c64=_figures(400, 200)),
            _peer("bentoml", 2, "BentoML 1 (2 workers)",
                  c16=_figures(100, 160), c64=_figures(100, 400)),
        ],
    }

    lines = run.peers_table(results).splitlines()

    targets = [line.split() for line in lines[lines.index("targets") + 1:]]
    assert targets[0][:2] == ["HOLDS", "16"] and targets[0][-1] == "3.43x"
    assert targets[1][:2] == ["MISSES", "64"] and targets[1][-1] == "2.50x"


def test_a_peer_that_could_not_be_had_is_named_in_the_table_with_its_reason():
    results = {
        "connections": [16],
        "service": {"label": "Model Service (2 workers)", 16: _figures(1200, 40)},
        "peers": [
            {"name": "mlserver", "workers": 2, "label": "MLServer (parallel_workers=2)",
             "error": "installing mlserver failed (exit status 1): no index\nmore"},
            _peer("bentoml", 2, "BentoML 1 (2 workers)", c16=_figures(400, 160)),
        ],
    }

    text = run.peers_table(results)

    assert ("MLServer (parallel_workers=2) left out: installing mlserver failed (exit status 1): "
            "no index\n") in text + "\n"
    assert "  BentoML 1 (2 workers)" in text
    assert "3x MLServer" not in text  # no target is claimed without its peer
