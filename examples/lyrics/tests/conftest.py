"""Fixtures: the installed lyrics model, and a service hosting only it."""
from __future__ import annotations

import pytest
import yaml

from lyrics_model import LyricsModel
from model_service import create_app


@pytest.fixture(scope="session")
def model() -> LyricsModel:
    return LyricsModel()


@pytest.fixture(scope="session")
def client(tmp_path_factory):
    """A test client of the service hosting the lyrics model from its class path, nothing else."""
    models_file = tmp_path_factory.mktemp("service") / "models.yaml"
    models_file.write_text(yaml.safe_dump({
        "discover_entry_points": False,
        "models": [{"class_path": "lyrics_model.LyricsModel"}],
    }))
    app = create_app({"TESTING": True, "MODEL_SERVICE_CONFIG": str(models_file)}, settings="testing")
    return app.test_client()
