"""Train the iris classifier on the iris data that scikit-learn ships, and save the artifact.

Run ``python -m iris_model.train`` (or ``make train``); it writes ``artifacts/`` next to this file.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import joblib
import sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .model import DEFAULT_ARTIFACT


def train(output: Path = DEFAULT_ARTIFACT, seed: int = 0) -> dict:
    """Fit a scaled logistic regression, save it with joblib, and return its metrics."""
    iris = load_iris()
    x_train, x_test, y_train, y_test = train_test_split(
        iris.data, iris.target_names[iris.target], test_size=0.25, random_state=seed,
        stratify=iris.target,
    )
    classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    classifier.fit(x_train, y_train)
    metrics = {
        "test_accuracy": round(float(classifier.score(x_test, y_test)), 4),
        "scikit_learn_version": sklearn.__version__,
        "features": list(iris.feature_names),
        "seed": seed,
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(classifier, output)
    output.with_suffix(".json").write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_ARTIFACT)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    metrics = train(args.output, args.seed)
    print(f"wrote {args.output}: test accuracy {metrics['test_accuracy']}")


if __name__ == "__main__":
    main()
