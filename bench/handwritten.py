"""The baseline: the Flask endpoint a user would write by hand for the iris model, no validation.

Served by gunicorn with its default (sync) workers, the same worker count as the service:
``gunicorn --workers 2 bench.handwritten:app``.
"""
import joblib
import numpy as np
from flask import Flask, jsonify, request

from iris_model.model import DEFAULT_ARTIFACT, FEATURES

app = Flask(__name__)
model = joblib.load(DEFAULT_ARTIFACT)
classes = [str(name) for name in model.classes_]


def _answers(rows):
    probabilities = model.predict_proba(np.array([[row[f] for f in FEATURES] for row in rows]))
    return [{"species": classes[int(p.argmax())], "probabilities": dict(zip(classes, map(float, p)))}
            for p in probabilities]


@app.post("/predict")
def predict():
    return jsonify(_answers([request.get_json()])[0])


@app.post("/predict_batch")
def predict_batch():
    return jsonify(_answers(request.get_json()))


@app.get("/readyz")
def readyz():
    return jsonify(status="ready")
