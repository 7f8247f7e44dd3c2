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
REVIEW = {"class_path": "fixture_models.review_model.ReviewModel"}

# (value, shown on a page): where a naive rounding rule goes wrong; unit and browser tests use them.
DISPLAY_NUMBERS = [
    (0, "0"), (0.0, "0"), (-0.0, "0"), (2.0, "2"), (-17, "-17"), (123456789, "123456789"),
    (0.9809884277925826, "0.981"), (6.071671659324716e-07, "6.072e-7"),
    (0.00009427057838162268, "9.427e-5"), (0.0001234567, "0.0001235"), (0.5, "0.5"),
    (1.5e-10, "1.5e-10"), (12345.678, "12346"), (9.99996, "10"), (99999.7, "100000"),
    (1e15, "1e15"), (1.2345e20, "1.235e20"), (10 ** 20, "1e20"), (-3.14159, "-3.142"),
    (0.125, "0.125"), (0.00012345, "0.0001234"), (1.0005, "1"), (2.675, "2.675"), (1.0015, "1.002"),
    (0.1 + 0.2, "0.3"), (5e-324, "4.941e-324"), (1.7976931348623157e308, "1.798e308"),
]


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
