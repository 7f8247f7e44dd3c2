"""Read digits from pictures with a trained classifier: the model's logic, without the service."""
from __future__ import annotations

import functools
import logging
import warnings
from collections.abc import Sequence
from pathlib import Path

import joblib
import numpy as np
from PIL import Image

from .preprocess import features

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_ARTIFACT = PACKAGE_DIR / "artifacts" / "digits_classifier.joblib"
CLASS_NAMES = tuple(str(digit) for digit in range(10))


@functools.lru_cache(maxsize=None)
def load_classifier(path: str):
    """Load an artifact once per process; a pickle from another scikit-learn release still loads."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        classifier = joblib.load(path)
    for warning in caught:
        log.warning("%s (rebuild with: python -m digits_model.train)", warning.message)
    return classifier


class DigitReader:
    """A trained classifier with the picture -> features step in front of it."""

    def __init__(self, artifact: str | Path | None = None) -> None:
        path = Path(artifact) if artifact else DEFAULT_ARTIFACT
        self.classifier = load_classifier(str(path.resolve()))
        if [int(label) for label in self.classifier.classes_] != list(range(10)):
            raise ValueError(f"{path}: the classifier must know the ten digits 0-9 in order")

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        """Return the probability of each digit for each row of 64 features."""
        return self.classifier.predict_proba(rows)

    def read(self, images: Sequence[Image.Image]) -> list[dict]:
        """Return ``{"digit", "probabilities"}`` for each picture, in one classifier call."""
        rows = np.array([features(image) for image in images])
        results = []
        for row in self.probabilities(rows).tolist():
            best = max(range(10), key=row.__getitem__)
            results.append({"digit": best, "probabilities": dict(zip(CLASS_NAMES, row))})
        return results
