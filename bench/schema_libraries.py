"""Time the validation of the iris schema written in marshmallow and in pydantic, without a server.

Usage: ``python -m bench.schema_libraries`` from the repository root. For each way of writing the
schema it prints the median time (of ``BENCH_REPEAT`` runs, default 20) to load one input, to
check and dump one output, and to load a batch of ``BENCH_BATCH`` inputs (default 1000) the way
the batch endpoint does. "marshmallow" is the compiled fast path (``fastpath.py``), "marshmallow
(no fast path)" the marshmallow library itself, "pydantic" the pydantic adapter; all three check
the published JSON Schema first.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fixtures"))

from fixture_models.pydantic_iris_model import IrisMeasurements, IrisPrediction  # noqa: E402
from iris_model import IrisInput, IrisOutput  # noqa: E402
from model_service.core.validation import SchemaValidator  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", 20))
BATCH = int(os.environ.get("BENCH_BATCH", 1000))
ROW = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}
RESULT = {"species": "setosa",
          "probabilities": {"setosa": 0.97, "versicolor": 0.02, "virginica": 0.01}}


def median_us(action, inner: int) -> float:
    """The median over REPEAT runs of ``inner`` calls of ``action``, per call, in microseconds."""
    runs = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        for _ in range(inner):
            action()
        runs.append((time.perf_counter() - started) / inner)
    return statistics.median(runs) * 1e6


def load_batch(validator: SchemaValidator, rows: list[dict]) -> None:
    """Load a batch as ``pipeline.validate_batch`` does."""
    if validator.load_many_unchanged(rows):
        return
    for row in rows:
        validator.load(row)


def main() -> None:
    rows = [dict(ROW) for _ in range(BATCH)]
    cases = {
        "marshmallow": (SchemaValidator(IrisInput), SchemaValidator(IrisOutput), RESULT),
        "marshmallow (no fast path)": (SchemaValidator(IrisInput), SchemaValidator(IrisOutput),
                                       RESULT),
        "pydantic": (SchemaValidator(IrisMeasurements), SchemaValidator(IrisPrediction),
                     IrisPrediction(**RESULT)),
    }
    for validator in cases["marshmallow (no fast path)"][:2]:
        validator.plan = None
    print(f"{'schema':28} {'load 1 (us)':>12} {'dump 1 (us)':>12} {f'load {BATCH} (ms)':>15}")
    for name, (inputs, outputs, result) in cases.items():
        load = median_us(lambda: inputs.load(ROW), 200)
        dump = median_us(lambda: outputs.dump_checked(result), 200)
        batch = median_us(lambda: load_batch(inputs, rows), 1) / 1000
        print(f"{name:28} {load:12.1f} {dump:12.1f} {batch:15.2f}")


if __name__ == "__main__":
    main()
