"""Find frontal faces in a photo with OpenCV's Haar cascade, on a copy no larger than 1024 px."""
from __future__ import annotations

import threading
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageOps

# "alt" found 3 of 3 faces in a group photo where OpenCV's default cascade found 2.
CASCADE_FILE = "haarcascade_frontalface_alt.xml"
DETECTION_SIDE = 1024  # the cascade's cost grows with the pixels; faces worth an emoji survive it
SCALE_FACTOR = 1.1
MIN_NEIGHBOURS = 5  # fewer finds more faces and more false ones (a badge, a fold of cloth)
MIN_FACE = 24  # pixels of the reduced copy: the cascade's own window is 20×20
NESTED_OVERLAP = 0.5  # a box lying mostly inside a bigger one is the same face found twice


@dataclass(frozen=True)
class Box:
    """A face's square, in pixels of the photo: left, top, width, height."""

    x: int
    y: int
    width: int
    height: int

    def as_dict(self) -> dict:
        return {"x": self.x, "y": self.y, "width": self.width, "height": self.height}

    @property
    def area(self) -> int:
        return self.width * self.height

    def overlap(self, other: Box) -> int:
        """Return the area this box shares with ``other``."""
        width = min(self.x + self.width, other.x + other.width) - max(self.x, other.x)
        height = min(self.y + self.height, other.y + other.height) - max(self.y, other.y)
        return max(0, width) * max(0, height)


_local = threading.local()


def _cascade() -> cv2.CascadeClassifier:
    """Return this thread's cascade: a CascadeClassifier is not safe to share between threads.

    Loading one takes ~7 ms, once per thread.
    """
    cascade = getattr(_local, "cascade", None)
    if cascade is None:
        cascade = cv2.CascadeClassifier(cv2.data.haarcascades + CASCADE_FILE)
        if cascade.empty():
            raise RuntimeError(f"OpenCV could not load {CASCADE_FILE} (is opencv < 5 installed?)")
        _local.cascade = cascade
    return cascade


def eight_bit_grey(image: Image.Image) -> Image.Image:
    """Return an 8-bit greyscale copy, whatever the mode (16-bit PNGs are scaled, not clipped)."""
    if image.mode.startswith("I"):
        values = np.asarray(image.convert("I"), dtype=np.float64)
        top = 65535.0 if values.max() > 255 else 255.0
        return Image.fromarray(np.clip(values * (255.0 / top), 0, 255).astype(np.uint8), mode="L")
    return image.convert("L")


def detection_copy(image: Image.Image, side: int = DETECTION_SIDE) -> tuple[np.ndarray, float]:
    """Return a greyscale, contrast-equalised copy at most ``side`` px long and its scale."""
    grey = eight_bit_grey(image)
    scale = min(1.0, side / max(grey.size))
    if scale < 1.0:
        size = (max(1, round(grey.width * scale)), max(1, round(grey.height * scale)))
        grey = grey.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    # Equalising lifts faces out of dim or flat photos, as OpenCV's own face example does.
    return cv2.equalizeHist(np.asarray(grey)), scale


def _drop_nested(boxes: list[Box]) -> list[Box]:
    kept: list[Box] = []
    for box in sorted(boxes, key=lambda b: b.area, reverse=True):
        if all(box.overlap(bigger) < NESTED_OVERLAP * box.area for bigger in kept):
            kept.append(box)
    return kept


def find_faces(image: Image.Image) -> list[Box]:
    """Return the frontal faces in ``image`` (made upright by its EXIF), left to right."""
    image = ImageOps.exif_transpose(image)  # the service has done it; a no-op then
    grey, scale = detection_copy(image)
    found = _cascade().detectMultiScale(grey, scaleFactor=SCALE_FACTOR,
                                        minNeighbors=MIN_NEIGHBOURS,
                                        minSize=(MIN_FACE, MIN_FACE))
    boxes = [
        Box(round(x / scale), round(y / scale), round(w / scale), round(h / scale))
        for x, y, w, h in (found.tolist() if len(found) else [])
    ]
    return sorted(_drop_nested(boxes), key=lambda b: (b.x, b.y))
