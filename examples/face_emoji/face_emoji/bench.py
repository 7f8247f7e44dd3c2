"""Measure face_emoji: latency per photo and throughput, through the pipeline and the model class.

Run ``python -m face_emoji.bench``. Photos are made from the shipped sample at three sizes; the
PNG encoding the service does for the answer is timed apart.
"""
from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable

from PIL import Image

from .make_example import SAMPLE
from .pipeline import emojify


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


def photos() -> dict[str, Image.Image]:
    """The sample at 320×320, in a 640×480 photo, and in a 4000×3000 (12 MP) one."""
    with Image.open(SAMPLE) as sample:
        sample = sample.convert("RGB")
    made = {"320x320 (the example)": sample}
    for size, face_side in (((640, 480), 480), ((4000, 3000), 3000)):
        photo = Image.new("RGB", size, (90, 90, 100))
        photo.paste(sample.resize((face_side, face_side), Image.Resampling.BICUBIC),
                    ((size[0] - face_side) // 2, 0))
        made[f"{size[0]}x{size[1]}"] = photo
    return made


def _png_bytes(picture: Image.Image) -> bytes:
    """Encode as the service does: zlib level 1, five times faster than Pillow's default 6."""
    buffer = io.BytesIO()
    picture.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def run(repeat: int) -> list[str]:
    lines = []
    for name, photo in photos().items():
        faces = len(emojify(photo).faces)
        latency = Timing(lambda: emojify(photo), repeat)
        output = emojify(photo).image
        encode = Timing(lambda: _png_bytes(output), max(3, repeat // 3))
        lines.append(f"{name:22s} faces {faces}  emojify {latency:.0f}  "
                     f"PNG encode {encode:.0f} ({len(_png_bytes(output)) / 1e6:.2f} MB)  "
                     f"-> {1000 / latency.wall:.1f} photos/s ({1000 / latency.cpu:.1f} per CPU s)")
    try:
        from .model import FaceEmojiInput, FaceEmojiModel
    except ImportError as error:
        lines.append(f"model class: not measured ({error})")
        return lines
    model = FaceEmojiModel()
    data = FaceEmojiInput().load(FaceEmojiModel.examples[0])
    predict = Timing(lambda: model.predict(data), repeat)
    lines.append(f"model.predict on the loaded example: {predict:.1f}")
    items = [data] * 32
    started = time.perf_counter()
    model.predict_batch(items)
    rate = 32 / (time.perf_counter() - started)
    lines.append(f"model.predict_batch of 32 examples: {rate:.1f} photos/s")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    print("\n".join(run(args.repeat)))


if __name__ == "__main__":
    main()
