"""Schemathesis fuzzes the live service over HTTP from its own OpenAPI document.

Every phase (examples, coverage, fuzzing, stateful) and every check runs against a real server
on 127.0.0.1: no server error, every status, content type, header and body as documented, data
the document forbids rejected and data it allows accepted (see schemathesis.toml beside this file
for the one documented exception). The seed is fixed so a failure reproduces.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ECHO, IRIS, RICH

CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"
MAX_EXAMPLES = 30
SEED = 20260101


@pytest.mark.slow
def test_schemathesis_finds_no_failure_against_the_live_service(make_app, serve, tmp_path):
    url = serve(make_app([IRIS, ECHO, RICH]))
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG),
        "run", f"{url}/api/openapi.json",
        "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED),
        "--generation-database", "none", "--request-timeout", "10",
        "--no-color",
    ]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=180)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "Selected: 13/13" in report, report
    assert " failed" not in report.split("SUMMARY")[-1], report
