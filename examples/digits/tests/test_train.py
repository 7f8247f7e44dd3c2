from __future__ import annotations

import json

import pytest
from PIL import Image

from digits_model import train
from digits_model.reader import DigitReader


@pytest.mark.slow
def test_training_writes_an_artifact_that_reads_digits_and_its_metrics(tmp_path):
    example = tmp_path / "samples" / "seven.png"
    output = tmp_path / "classifier.joblib"
    metrics = train.train(output, example=example)
    assert json.loads(output.with_suffix(".json").read_text()) == metrics
    assert metrics["held_out_accuracy"] > 0.98 and metrics["held_out_pictures_accuracy"] > 0.97
    with Image.open(example) as picture:
        assert DigitReader(output).read([picture])[0]["digit"] == 7
