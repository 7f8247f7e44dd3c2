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


def _median_ms(call: Callable[[], object], repeat: int) -> float:
    call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def run(repeat: int, batch: int) -> list[str]:
    reader = DigitReader()
    with Image.open(EXAMPLE_PICTURE) as seven:
        seven.load()
    photo = pen_digit(4, size=600).resize((4000, 3000)).convert("RGB")  # a 12 MP phone photo
    row = features(seven).reshape(1, -1)
    lines = [
        f"one 96 px picture: read {_median_ms(lambda: reader.read([seven]), repeat):.2f} ms "
        f"(features {_median_ms(lambda: features(seven), repeat):.2f} ms, "
        f"classifier {_median_ms(lambda: reader.probabilities(row), repeat):.2f} ms)",
        f"one 12 MP photo: read {_median_ms(lambda: reader.read([photo]), max(3, repeat // 5)):.1f} ms",
    ]
    pictures = [item.image for item in pen_set(count=max(1, batch // 10), seed=5)]
    started = time.perf_counter()
    reader.read(pictures)
    elapsed = time.perf_counter() - started
    lines.append(f"batch of {len(pictures)} pictures (40-200 px): {len(pictures) / elapsed:.0f} pictures/s")
    try:
        from .model import DigitsInput, DigitsModel
    except ImportError as error:
        lines.append(f"model class: not measured ({error})")
        return lines
    model = DigitsModel()
    data = DigitsInput().load(DigitsModel.examples[0])
    lines.append(f"model.predict on the loaded example: {_median_ms(lambda: model.predict(data), repeat):.2f} ms")
    items = [data] * batch
    started = time.perf_counter()
    model.predict_batch(items)
    lines.append(f"model.predict_batch of {batch}: {batch / (time.perf_counter() - started):.0f} pictures/s")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    print("\n".join(run(args.repeat, args.batch)))


if __name__ == "__main__":
    main()
