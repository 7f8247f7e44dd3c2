from __future__ import annotations

import json

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from digits_model.reader import CLASS_NAMES, DEFAULT_ARTIFACT, DigitReader
from digits_model.render import pen_set


def test_reads_the_shipped_example_as_seven(reader, seven):
    (result,) = reader.read([seven])
    assert result["digit"] == 7 and result["probabilities"]["7"] > 0.9


def test_probabilities_name_every_digit_and_sum_to_one(reader, three):
    (result,) = reader.read([three])
    assert list(result["probabilities"]) == list(CLASS_NAMES)
    assert sum(result["probabilities"].values()) == pytest.approx(1.0)
    assert result["digit"] == 3
    assert all(isinstance(value, float) for value in result["probabilities"].values())


def test_a_batch_reads_the_same_as_one_at_a_time(reader, seven, three):
    assert reader.read([seven, three]) == reader.read([seven]) + reader.read([three])


def test_reads_most_pen_drawn_digits(reader):
    drawings = list(pen_set(count=6, seed=11))
    results = reader.read([drawing.image for drawing in drawings])
    accuracy = np.mean([r["digit"] == d.digit for r, d in zip(results, drawings)])
    assert accuracy >= 0.7  # 0.83 over 300 (see the README)


def test_the_shipped_classifier_scores_as_recorded_on_the_held_out_split(reader):
    metrics = json.loads(DEFAULT_ARTIFACT.with_suffix(".json").read_text())
    digits = load_digits()
    _, x_test, _, y_test = train_test_split(digits.data, digits.target, test_size=0.25,
                                            random_state=metrics["seed"], stratify=digits.target)
    accuracy = float(np.mean(reader.probabilities(x_test).argmax(axis=1) == y_test))
    assert accuracy == pytest.approx(metrics["held_out_accuracy"], abs=1e-4)
    assert accuracy > 0.98


def test_an_artifact_that_does_not_know_all_ten_digits_is_refused(tmp_path):
    digits = load_digits(n_class=3)
    path = tmp_path / "three_digits.joblib"
    joblib.dump(LogisticRegression(max_iter=200).fit(digits.data, digits.target), path)
    with pytest.raises(ValueError, match="ten digits"):
        DigitReader(path)
