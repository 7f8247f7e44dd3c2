"""Measure the model class directly: latency of one call, and throughput of batches.

Run ``python -m lyrics_model.measure`` (figures depend on the machine and its load).
"""
from __future__ import annotations

import argparse
import statistics
import time

from .model import LyricsModel


def measure(calls: int = 100, length: int = 200, batch_rows: int = 64) -> dict:
    """Return per-call latency for ``length`` characters (median, 95th percentile, ms) and the
    rows (and characters) per second of a batch."""
    model = LyricsModel()
    request = {"seed": "Shall I compare thee", "length": length, "temperature": 0.8}
    model.predict({**request, "random_seed": 0})  # first call pays one-off costs
    timings = []
    for seed in range(calls):
        started = time.perf_counter()
        model.predict({**request, "random_seed": seed})
        timings.append(time.perf_counter() - started)
    timings.sort()
    rows = [{**request, "random_seed": seed} for seed in range(batch_rows)]
    started = time.perf_counter()
    model.predict_batch(rows)
    elapsed = time.perf_counter() - started
    return {
        f"single_{length}_chars_median_ms": round(statistics.median(timings) * 1000, 2),
        f"single_{length}_chars_p95_ms": round(timings[int(len(timings) * 0.95)] * 1000, 2),
        f"batch_{batch_rows}_rows_per_second": round(batch_rows / elapsed),
        "characters_per_second": round(batch_rows * length / elapsed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--batch-rows", type=int, default=64)
    args = parser.parse_args()
    for name, value in measure(args.calls, args.length, args.batch_rows).items():
        print(f"{name:32s} {value}")


if __name__ == "__main__":
    main()
