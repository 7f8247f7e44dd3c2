"""Schemathesis fuzzes the live service over HTTP from its own OpenAPI document.

Every phase (examples, coverage, fuzzing, stateful) and every check runs against the production
server (gunicorn, two workers) on 127.0.0.1: no server error, every status, content type, header
and body as documented, data the document forbids rejected and data it allows accepted (see
schemathesis.toml beside this file for the one documented exception). The served models include
an image model and a file model, whose operations take JSON (base64), multipart and raw bodies;
schemathesis_hooks.py gives their schema-valid cases real images and text, which no schema can
describe. The seed is fixed so a failure reproduces; set SCHEMATHESIS_MAX_EXAMPLES (``make
fuzz``) for a longer run.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ECHO, FILE, IMAGE, IRIS, RICH, write_models_file
from servers import GunicornServer, service_env

CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"
# Real images and text for the media models' schema-valid cases (see the module).
HOOKS = Path(__file__).resolve().parent / "schemathesis_hooks.py"
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "30"))
SEED = 20260101


@pytest.fixture
def live_service(tmp_path):
    """Gunicorn serving five well-behaved models, two with media fields; yields its base URL."""
    models = write_models_file(tmp_path, [IRIS, ECHO, RICH, IMAGE, FILE])
    env = service_env(MODEL_SERVICE_CONFIG=str(models), MODEL_SERVICE_LOG_LEVEL="WARNING")
    server = GunicornServer(workers=2, env=env)
    try:
        with server:
            yield server.url
    finally:
        if server.process and server.process.stdout:
            server.process.stdout.close()


@pytest.mark.slow
def test_schemathesis_finds_no_failure_against_the_live_service(live_service, tmp_path):
    url = live_service
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG),
        "run", f"{url}/api/openapi.json",
        "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED),
        "--generation-database", "none", "--request-timeout", "10", "--no-color",
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS)}
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=600)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    selected = re.search(r"Selected: (\d+)/(\d+)", report)
    assert selected and selected.group(1) == selected.group(2), report  # every operation fuzzed
    assert " failed" not in report.split("SUMMARY")[-1], report
