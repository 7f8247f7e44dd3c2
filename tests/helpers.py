"""Constants and helpers the tests share: model entries of a models file, and building apps."""
from __future__ import annotations

from pathlib import Path

import yaml

from model_service import create_app

IRIS_ROW = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}
IRIS = {"class_path": "iris_model.IrisModel"}
ECHO = {"class_path": "fixture_models.echo_model.EchoModel"}
RAISING = {"class_path": "fixture_models.raising_model.RaisingModel"}
BAD_OUTPUT = {"class_path": "fixture_models.bad_output_model.BadOutputModel"}
LOAD_FAILING = {"class_path": "fixture_models.load_failing_model.LoadFailingModel"}
RICH = {"class_path": "fixture_models.rich_model.RichModel"}
SCRIPT = {"class_path": "fixture_models.script_model.ScriptModel"}
IMAGE = {"class_path": "fixture_models.image_model.ImageModel"}
FILE = {"class_path": "fixture_models.file_model.FileModel"}
TEXT = {"class_path": "fixture_models.text_model.TextModel"}
MIRROR = {"class_path": "fixture_models.mirror_model.MirrorModel"}
IRIS_FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")


def write_models_file(directory: Path, models: list[dict], discover: bool = False) -> Path:
    path = directory / "models.yaml"
    path.write_text(yaml.safe_dump({"discover_entry_points": discover, "models": models}))
    return path


STANDARD_MODELS = [IRIS, ECHO, RAISING, BAD_OUTPUT, LOAD_FAILING]


def build_app(directory: Path, models: list[dict], discover: bool = False, **config):
    """Build an app hosting exactly ``models`` (no entry-point discovery unless asked)."""
    path = write_models_file(directory, models, discover)
    return create_app({"TESTING": True, "MODEL_SERVICE_CONFIG": str(path), **config},
                      settings="testing")
