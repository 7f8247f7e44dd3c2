"""Measure digits: latency per picture and batch throughput, through the reader and the model class.

Run ``python -m digits_model.bench``.
"""
from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from PIL import Image

from .preprocess import features
from .reader import DigitReader
from .render import pen_digit, pen_set
from .train import EXAMPLE_PICTURE


class Timing:
    """Median wall-clock and CPU time of repeated calls, in milliseconds."""

    def __init__(self, call: Callable[[], object], repeat: int) -> None:
        call()  # warm up (the cascade or classifier loads once)
        wall, cpu = [], []
        for _ in range(repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            call()
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        self.wall = statistics.median(wall) * 1000
        self.cpu = statistics.median(cpu) * 1000

    def __format__(self, spec: str) -> str:
        # CPU time shows the work itself when other processes share the cores (wall > CPU).
        return f"{format(self.wall, spec)} ms (CPU {format(self.cpu, spec)} ms)"


def run(repeat: int, batch: int) -> list[str]:
    reader = DigitReader()
    with Image.open(EXAMPLE_PICTURE) as seven:
        seven.load()
    photo = pen_digit(4, size=600).resize((4000, 3000)).convert("RGB")  # a 12 MP phone photo
    row = features(seven).reshape(1, -1)
    lines = [
        f"one 96 px picture, read: {Timing(lambda: reader.read([seven]), repeat):.2f}",
        f"  of which features: {Timing(lambda: features(seven), repeat):.2f}",
        f"  of which classifier: {Timing(lambda: reader.probabilities(row), repeat):.2f}",
        f"one 12 MP photo, read: {Timing(lambda: reader.read([photo]), max(3, repeat // 5)):.1f}",
    ]
    pictures = [item.image for item in pen_set(count=max(1, batch // 10), seed=5)]
    batch_time = Timing(lambda: reader.read(pictures), 3)
    lines.append(f"batch of {len(pictures)} pictures (40-200 px), read: {batch_time:.0f} -> "
                 f"{len(pictures) * 1000 / batch_time.wall:.0f} pictures/s "
                 f"({len(pictures) * 1000 / batch_time.cpu:.0f} per CPU second)")
    try:
        from .model import DigitsInput, DigitsModel
    except ImportError as error:
        lines.append(f"model class: not measured ({error})")
        return lines
    model = DigitsModel()
    data = DigitsInput().load(DigitsModel.examples[0])
    predict = Timing(lambda: model.predict(data), repeat)
    lines.append(f"model.predict on the loaded example: {predict:.2f}")
    items = [data] * batch
    started = time.perf_counter()
    model.predict_batch(items)
    rate = batch / (time.perf_counter() - started)
    lines.append(f"model.predict_batch of {batch}: {rate:.0f} pictures/s")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    print("\n".join(run(args.repeat, args.batch)))


if __name__ == "__main__":
    main()
