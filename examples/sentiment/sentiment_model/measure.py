"""Measure the model class directly: latency of one call, and throughput of batches.

Run ``python -m sentiment_model.measure`` (figures depend on the machine and its load).
"""
from __future__ import annotations

import argparse
import statistics
import time

from .model import SentimentModel


def _reviews(count: int) -> list[dict]:
    """``count`` distinct reviews built from the examples (distinct, so nothing is cached)."""
    texts = [example["text"] for example in SentimentModel.examples]
    return [{"text": f"{texts[n % len(texts)]} Review {n}."} for n in range(count)]


def measure(calls: int = 300, batch_rows: int = 2000) -> dict:
    """Return per-call latency (median and 95th percentile, ms) and batch rows per second."""
    model = SentimentModel()
    singles = _reviews(calls)
    model.predict(singles[0])  # first call pays one-off costs
    timings = []
    for item in singles:
        started = time.perf_counter()
        model.predict(item)
        timings.append(time.perf_counter() - started)
    timings.sort()
    result = {"single_median_ms": round(statistics.median(timings) * 1000, 2),
              "single_p95_ms": round(timings[int(len(timings) * 0.95)] * 1000, 2)}
    for size in (64, batch_rows):
        rows = _reviews(size)
        started = time.perf_counter()
        model.predict_batch(rows)
        result[f"batch_{size}_rows_per_second"] = round(size / (time.perf_counter() - started))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--batch-rows", type=int, default=2000)
    args = parser.parse_args()
    for name, value in measure(args.calls, args.batch_rows).items():
        print(f"{name:32s} {value}")


if __name__ == "__main__":
    main()
