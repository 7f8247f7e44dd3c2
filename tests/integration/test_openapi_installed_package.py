"""Installing a model package with pip adds its operations and schemas to the API document."""
from __future__ import annotations

import subprocess
import sys

import pytest
import requests
from helpers import IRIS
from openapi_spec_validator import validate
from servers import FIXTURES

pytestmark = pytest.mark.slow


def test_a_pip_installed_model_is_documented_after_a_restart(make_app, serve, tmp_path,
                                                               monkeypatch):
    before = requests.get(f"{serve(make_app([IRIS], discover=True))}/api/openapi.json").json()
    assert not [path for path in before["paths"] if "sentiment_stub" in path]

    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(site), str(FIXTURES / "external_model_pkg")],
        check=True, timeout=120,
    )
    monkeypatch.syspath_prepend(str(site))  # the restarted process sees the installed package

    after = requests.get(f"{serve(make_app([IRIS], discover=True))}/api/openapi.json").json()
    validate(after)
    predict = after["paths"]["/api/models/sentiment_stub/predict"]["post"]
    assert predict["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SentimentStubInput"}
    assert "/api/models/sentiment_stub/predict_batch" in after["paths"]
    schemas = after["components"]["schemas"]
    assert schemas["SentimentStubInput"]["properties"]["text"]["maxLength"] == 1000
    assert set(schemas["SentimentStubOutput"]["required"]) == {"length", "words"}
    assert "/api/models/iris_model/predict" in after["paths"]
