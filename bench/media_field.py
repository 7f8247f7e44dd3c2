"""Time the media fields alone: check and decode a 1 MP JPEG and PNG input, encode an output.

Usage: ``python -m bench.media_field`` from the repository root. It prints one line per case
(medians of ``BENCH_REPEAT`` runs, default 20) and needs no server.
"""
from __future__ import annotations

import base64
import io
import os
import statistics
import time

from PIL import Image as PILImage
from PIL import ImageFilter

from model_service.media import Image

SIZE = (1000, 1000)
REPEAT = int(os.environ.get("BENCH_REPEAT", 20))


def photo_like(size: tuple[int, int] = SIZE) -> PILImage.Image:
    """Return an RGB image that compresses like a photo (0.3 MB as JPEG, 1.7 MB as PNG at 1 MP)."""
    gradient = PILImage.linear_gradient("L").resize(size)
    channels = [
        gradient,
        gradient.rotate(90),
        PILImage.effect_mandelbrot(size, (-2.0, -1.5, 1.0, 1.5), 60),
    ]
    noise = PILImage.effect_noise(size, 40).filter(ImageFilter.GaussianBlur(0.5))
    channels = [PILImage.blend(channel, noise, 0.3) for channel in channels]
    return PILImage.merge("RGB", channels)


def encoded(image: PILImage.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def pillow_load(data: bytes) -> None:
    with PILImage.open(io.BytesIO(data)) as image:
        image.load()


def timed(label: str, function, argument) -> None:
    """Print the median wall and CPU time of ``function(argument)``; CPU time is what a shared
    machine disturbs least."""
    function(argument)  # warm: the first call imports Pillow's plugins
    wall, cpu = [], []
    for _ in range(REPEAT):
        start, start_cpu = time.perf_counter(), time.process_time()
        function(argument)
        cpu.append((time.process_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start) * 1000)
    print(f"{label:<46} wall median {statistics.median(wall):6.1f} ms (min {min(wall):6.1f})   "
          f"CPU median {statistics.median(cpu):6.1f} ms")


def main() -> None:
    image = photo_like()
    jpeg = encoded(image, "JPEG", quality=90)
    png = encoded(image, "PNG")
    field = Image(formats=("png", "jpeg"))
    print(f"1 MP photo-like image: JPEG {len(jpeg) / 1e6:.2f} MB, PNG {len(png) / 1e6:.2f} MB")
    timed("reference: Pillow's open and load of the JPEG", pillow_load, jpeg)
    timed("reference: Pillow's open and load of the PNG", pillow_load, png)
    timed("input JPEG from bytes (multipart/raw)", field.deserialize, jpeg)
    timed("input PNG from bytes (multipart/raw)", field.deserialize, png)
    timed("input JPEG from base64 (JSON)", field.deserialize, base64.b64encode(jpeg).decode())
    timed("input PNG from base64 (JSON)", field.deserialize, base64.b64encode(png).decode())
    as_jpeg, as_png = Image(formats=("jpeg",)), Image(formats=("png",))
    timed("output PIL image as JPEG (base64)", lambda value: as_jpeg.serialize("x", {"x": value}),
          image)
    timed("output PIL image as PNG (base64)", lambda value: as_png.serialize("x", {"x": value}),
          image)
    timed("output JPEG bytes, checked and passed on", Image(formats=("jpeg",)).encode, jpeg)


if __name__ == "__main__":
    main()
