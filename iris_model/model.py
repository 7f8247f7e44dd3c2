"""The iris classifier as an ``MLModel``: four measurements in, a species and its probability out."""
from __future__ import annotations

import functools
import logging
import operator
import warnings
from pathlib import Path

import joblib
import numpy as np
from marshmallow import Schema, fields, validate

from model_service import MLModel

log = logging.getLogger(__name__)

ARTIFACT_DIR = Path(__file__).resolve().parent / "artifacts"
DEFAULT_ARTIFACT = ARTIFACT_DIR / "iris_classifier.joblib"
SPECIES = ("setosa", "versicolor", "virginica")
FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
_FEATURE_VALUES = operator.itemgetter(*FEATURES)


def _measurement(description: str, example: float) -> fields.Float:
    return fields.Float(
        required=True,
        validate=validate.Range(min=0, max=20),
        metadata={"description": description, "unit": "cm", "example": example},
    )


@functools.lru_cache(maxsize=None)
def _load_classifier(path: str):
    """Load an artifact once per process: models hosted under several names share it (read-only)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        classifier = joblib.load(path)
    for warning in caught:
        # A pickle from another scikit-learn release still loads; say how to rebuild it.
        log.warning("%s (rebuild with: python -m iris_model.train)", warning.message)
    return classifier


class IrisInput(Schema):
    """Four measurements of one iris flower, in centimetres (the iris data set spans 0.1 to 7.9)."""

    sepal_length = _measurement("Sepal length in cm (typically 4.3 to 7.9).", 5.1)
    sepal_width = _measurement("Sepal width in cm (typically 2.0 to 4.4).", 3.5)
    petal_length = _measurement("Petal length in cm (typically 1.0 to 6.9).", 1.4)
    petal_width = _measurement("Petal width in cm (typically 0.1 to 2.5).", 0.2)


def _probability(species: str) -> fields.Float:
    return fields.Float(required=True, validate=validate.Range(min=0, max=1),
                        metadata={"description": f"Probability that the flower is {species}."})


class IrisProbabilities(Schema):
    setosa = _probability("setosa")
    versicolor = _probability("versicolor")
    virginica = _probability("virginica")


class IrisOutput(Schema):
    species = fields.String(required=True, validate=validate.OneOf(SPECIES),
                            metadata={"description": "The most probable species."})
    probabilities = fields.Nested(IrisProbabilities, required=True,
                                  metadata={"description": "Probability of each species."})


class IrisModel(MLModel):
    qualified_name = "iris_model"
    display_name = "Iris Model"
    description = "Predicts the species of an iris flower from four measurements."
    version = "1.0.0"
    input_schema = IrisInput
    output_schema = IrisOutput
    examples = [
        {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2},
        {"sepal_length": 6.7, "sepal_width": 3.0, "petal_length": 5.2, "petal_width": 2.3},
    ]

    def __init__(self, artifact: str | None = None) -> None:
        super().__init__(artifact=artifact)
        path = Path(artifact) if artifact else DEFAULT_ARTIFACT
        self.classifier = _load_classifier(str(path.resolve()))
        self.classes = [str(name) for name in self.classifier.classes_]

    def _rows(self, items: list[dict]) -> np.ndarray:
        return np.array(list(map(_FEATURE_VALUES, items)), dtype=np.float64)

    def _results(self, probabilities: np.ndarray) -> list[dict]:
        classes = self.classes
        # tolist() turns the whole matrix into Python floats at C speed.
        best, rows = probabilities.argmax(axis=1).tolist(), probabilities.tolist()
        if len(classes) == 3:  # the iris case, spelled out: twice as fast as dict(zip(...))
            first, second, third = classes
            return [
                {"species": classes[index], "probabilities": {first: a, second: b, third: c}}
                for index, (a, b, c) in zip(best, rows)
            ]
        return [
            {"species": classes[index], "probabilities": dict(zip(classes, row))}
            for index, row in zip(best, rows)
        ]

    def predict(self, data: dict) -> dict:
        return self.predict_batch([data])[0]

    def predict_batch(self, items: list[dict]) -> list[dict]:
        return self._results(self.classifier.predict_proba(self._rows(items)))
