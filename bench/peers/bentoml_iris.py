"""The iris artifact as a BentoML service: four measurements in, species and probabilities out.

What a BentoML user would write for the same answer as Model Service's predict endpoint. The
benchmark serves it from BentoML's own virtualenv with
``bentoml serve bentoml_iris:IrisClassifier --working-dir bench/peers``; ``BENCH_WORKERS`` sets
the worker count (BentoML >= 1.2 takes it from the service, not from the command line).
"""
import os
from pathlib import Path

import bentoml
import joblib
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
ARTIFACT = ROOT / "iris_model" / "artifacts" / "iris_classifier.joblib"


@bentoml.service(workers=int(os.environ.get("BENCH_WORKERS", "1")))
class IrisClassifier:
    def __init__(self) -> None:
        self.model = joblib.load(ARTIFACT)
        self.classes = [str(name) for name in self.model.classes_]

    @bentoml.api
    def predict(self, sepal_length: float, sepal_width: float, petal_length: float,
                petal_width: float) -> dict:
        row = np.array([[sepal_length, sepal_width, petal_length, petal_width]])
        probabilities = self.model.predict_proba(row)[0]
        return {"species": self.classes[int(probabilities.argmax())],
                "probabilities": dict(zip(self.classes, map(float, probabilities)))}
