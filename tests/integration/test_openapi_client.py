"""A client generated from the live OpenAPI document makes predictions without hand edits."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import ECHO, IRIS

CLIENT_SCRIPT = textwrap.dedent("""
    import json
    import sys

    from model_service_client import Client
    from model_service_client.api.iris_model import predict_batch_iris_model, predict_iris_model
    from model_service_client.api.models import list_models
    from model_service_client.models import IrisModelInput, IrisModelOutput, Problem

    client = Client(base_url=sys.argv[1], raise_on_unexpected_status=True)
    flower = IrisModelInput(sepal_length=5.1, sepal_width=3.5, petal_length=1.4, petal_width=0.2)
    one = predict_iris_model.sync(client=client, body=flower)
    assert isinstance(one, IrisModelOutput), one
    big = IrisModelInput(sepal_length=6.7, sepal_width=3.0, petal_length=5.2, petal_width=2.3)
    batch = predict_batch_iris_model.sync(client=client, body=[flower, big])
    bad = predict_iris_model.sync_detailed(
        client=client,
        body=IrisModelInput(sepal_length=5.1, sepal_width=3.5, petal_length=1.4, petal_width=99),
    )
    assert isinstance(bad.parsed, Problem), bad
    models = list_models.sync(client=client)
    print(json.dumps({
        "species": one.species.value,
        "probabilities": one.probabilities.to_dict(),
        "batch": [item.species.value for item in batch],
        "bad_status": int(bad.status_code),
        "bad_errors": bad.parsed.errors,
        "models": [model.qualified_name for model in models.models],
    }))
""")


@pytest.mark.slow
def test_a_generated_client_makes_an_iris_prediction(make_app, serve, tmp_path):
    url = serve(make_app([IRIS, ECHO]))
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    generate = [
        sys.executable, "-m", "openapi_python_client", "generate",
        "--url", f"{url}/api/openapi.json", "--meta", "none",
        "--output-path", str(tmp_path / "model_service_client"),
    ]
    generated = subprocess.run(generate, cwd=tmp_path, env=env, capture_output=True, text=True,
                               timeout=120)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    # The generator's only complaint: it cannot parse YAML responses (GET /api/openapi.yaml).
    complaints = [line for line in generated.stdout.splitlines() if line.startswith("WARNING")]
    assert all("/api/openapi.yaml" in line for line in complaints), generated.stdout
    assert (tmp_path / "model_service_client" / "api" / "iris_model").is_dir()

    script = tmp_path / "use_client.py"
    script.write_text(CLIENT_SCRIPT)
    used = subprocess.run([sys.executable, "-W", "error", str(script), url], cwd=tmp_path,
                          env={**env, "PYTHONPATH": str(tmp_path)}, capture_output=True,
                          text=True, timeout=60)
    assert used.returncode == 0, used.stdout + used.stderr
    answer = json.loads(used.stdout)
    assert answer["species"] == "setosa"
    assert set(answer["probabilities"]) == {"setosa", "versicolor", "virginica"}
    assert answer["batch"] == ["setosa", "virginica"]
    assert answer["bad_status"] == 422
    assert answer["bad_errors"] == {"petal_width": ["Must be less than or equal to 20.0."]}
    assert answer["models"] == ["iris_model", "echo_model"]
