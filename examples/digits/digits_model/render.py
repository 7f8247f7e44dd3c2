"""Draw digits as pictures, to measure the classifier on images rather than on ready-made features.

Two kinds: the data set's own 8×8 digits blown up into smooth pictures (the held-out ones, so the
round trip picture -> features is measured on digits the classifier never saw), and digits typed
in the font that ships inside Pillow (Aileron), in several sizes, weights, positions and angles.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

WHITE, BLACK = 255, 0


@dataclass(frozen=True)
class Rendering:
    """A picture of a digit and the digit it shows."""

    image: Image.Image
    digit: int


def data_digit(pixels: np.ndarray, scale: int = 8, canvas: tuple[int, int] | None = None,
               offset: tuple[int, int] = (0, 0), dark_on_light: bool = True) -> Image.Image:
    """Blow an 8×8 digit (values 0–16) up ``scale`` times, smoothly, onto a plain canvas."""
    ink = Image.fromarray(np.clip(pixels * (255 / 16), 0, 255).astype(np.uint8), mode="L")
    ink = ink.resize((8 * scale, 8 * scale), Image.Resampling.BILINEAR)
    canvas = canvas or ink.size
    picture = Image.new("L", canvas, BLACK)
    picture.paste(ink, offset)
    return Image.eval(picture, lambda value: 255 - value) if dark_on_light else picture


def font_digit(digit: int, size: int = 48, stroke: int = 0, canvas: tuple[int, int] = (96, 96),
               offset: tuple[int, int] = (0, 0), angle: float = 0.0,
               dark_on_light: bool = True) -> Image.Image:
    """Type ``digit`` in Pillow's bundled font, centred (plus ``offset``), turned ``angle``°."""
    font = ImageFont.load_default(size=size)
    ink, paper = (BLACK, WHITE) if dark_on_light else (WHITE, BLACK)
    picture = Image.new("L", canvas, paper)
    centre = (canvas[0] / 2 + offset[0], canvas[1] / 2 + offset[1])
    ImageDraw.Draw(picture).text(centre, str(digit), fill=ink, font=font, anchor="mm",
                                 stroke_width=stroke, stroke_fill=ink)
    if angle:
        picture = picture.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=paper)
    return picture


def bitmap_font_digit(digit: int, scale: int = 6, margin: int = 2) -> Image.Image:
    """Type ``digit`` in Pillow's tiny bitmap font (6×11 pixels), enlarged with square pixels."""
    font = ImageFont.load_default_imagefont()
    picture = Image.new("L", (6 + 2 * margin, 11 + 2 * margin), WHITE)
    ImageDraw.Draw(picture).text((margin, margin), str(digit), fill=BLACK, font=font)
    return picture.resize((picture.width * scale, picture.height * scale),
                          Image.Resampling.NEAREST)


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float,
         steps: int = 16) -> list[tuple[float, float]]:
    """Points along an ellipse from ``start`` to ``end`` degrees (0 = right, 90 = down)."""
    angles = np.radians(np.linspace(start, end, steps))
    return [(cx + rx * np.cos(a), cy + ry * np.sin(a)) for a in angles]


# Each digit as the pen strokes a person makes, in a unit box (x right, y down).
PEN_STROKES: dict[int, list[list[tuple[float, float]]]] = {
    0: [_arc(0.5, 0.5, 0.32, 0.46, 0, 360, 32)],
    1: [[(0.3, 0.22), (0.55, 0.04), (0.55, 0.96)]],
    2: [_arc(0.5, 0.3, 0.3, 0.26, 190, 380) + [(0.2, 0.95), (0.85, 0.95)]],
    3: [_arc(0.48, 0.28, 0.3, 0.23, 200, 450), _arc(0.48, 0.72, 0.34, 0.23, 270, 520)],
    4: [[(0.62, 0.04), (0.15, 0.65), (0.85, 0.65)], [(0.62, 0.3), (0.62, 0.96)]],
    5: [[(0.8, 0.05), (0.3, 0.05), (0.25, 0.45)] + _arc(0.5, 0.68, 0.32, 0.27, 230, 500)],
    6: [[(0.72, 0.05)] + _arc(0.5, 0.7, 0.3, 0.27, 200, 560)],
    7: [[(0.15, 0.06), (0.85, 0.06), (0.4, 0.96)], [(0.35, 0.5), (0.75, 0.5)]],
    8: [_arc(0.5, 0.27, 0.25, 0.22, 90, 450), _arc(0.5, 0.72, 0.3, 0.24, -90, 270)],
    9: [_arc(0.5, 0.3, 0.3, 0.26, 0, 360) + [(0.8, 0.3), (0.7, 0.96)]],
}


def pen_digit(digit: int, size: int = 96, width: float = 0.08, angle: float = 0.0,
              shear: float = 0.0, squeeze: float = 1.0, wobble: float = 0.0,
              rng: np.random.Generator | None = None) -> Image.Image:
    """Draw ``digit`` as pen strokes, dark on white, slanted, turned and wobbled as asked."""
    rng = rng or np.random.default_rng(0)
    picture = Image.new("L", (size, size), WHITE)
    draw = ImageDraw.Draw(picture)
    turn = np.radians(angle)
    cos, sin = np.cos(turn), np.sin(turn)
    for stroke in PEN_STROKES[digit]:
        points = np.array(stroke) - 0.5
        points += rng.normal(0.0, wobble, points.shape)
        points[:, 0] = points[:, 0] * squeeze + shear * points[:, 1]
        points = points @ np.array([[cos, sin], [-sin, cos]])
        points = (points * 0.7 + 0.5) * size
        draw.line([tuple(p) for p in points], fill=BLACK, width=max(1, round(width * size)),
                  joint="curve")
    return picture


def rendered_data_set(images: np.ndarray, targets: np.ndarray,
                      seed: int = 0) -> Iterator[Rendering]:
    """Yield each 8×8 digit as a picture of random size, position and polarity."""
    rng = np.random.default_rng(seed)
    for pixels, target in zip(images, targets):
        scale = int(rng.integers(3, 13))
        side = 8 * scale
        canvas = (side + int(rng.integers(0, side)), side + int(rng.integers(0, side)))
        offset = (int(rng.integers(0, canvas[0] - side + 1)),
                  int(rng.integers(0, canvas[1] - side + 1)))
        yield Rendering(data_digit(pixels, scale, canvas, offset, bool(rng.random() < 0.8)),
                        int(target))


def font_set(seed: int = 0) -> Iterator[Rendering]:
    """Yield every digit typed in several sizes, weights, angles, positions and both polarities."""
    rng = np.random.default_rng(seed)
    for digit in range(10):
        for size in (20, 40, 80):
            for stroke_fraction in (0.0, 0.04, 0.1):
                for angle in (-8.0, 0.0, 8.0):
                    for dark_on_light in (True, False):
                        side = 2 * size
                        offset = tuple(int(v) for v in rng.integers(-size // 3, size // 3 + 1, 2))
                        yield Rendering(
                            font_digit(digit, size, round(stroke_fraction * size), (side, side),
                                       offset, angle, dark_on_light),
                            digit,
                        )
        for scale in (3, 6):
            yield Rendering(bitmap_font_digit(digit, scale), digit)


def pen_set(count: int = 30, seed: int = 0) -> Iterator[Rendering]:
    """Yield ``count`` pen-drawn pictures of each digit, each its own slant, width and wobble."""
    rng = np.random.default_rng(seed)
    for digit in range(10):
        for _ in range(count):
            yield Rendering(
                pen_digit(digit, size=int(rng.integers(40, 200)),
                          width=float(rng.uniform(0.03, 0.12)), angle=float(rng.uniform(-10, 10)),
                          shear=float(rng.uniform(-0.25, 0.25)),
                          squeeze=float(rng.uniform(0.7, 1.1)),
                          wobble=float(rng.uniform(0.0, 0.02)), rng=rng),
                digit,
            )


def distorted_data_set(images: np.ndarray, targets: np.ndarray, copies: int = 1,
                       seed: int = 0) -> Iterator[Rendering]:
    """Yield ``copies`` pictures of each 8×8 digit, blown up, slanted (±0.2) and turned (±10°).

    Training on these as well as on the raw features teaches the classifier what the picture ->
    features step makes of a digit, and a little slant and rotation it would not see otherwise.
    """
    rng = np.random.default_rng(seed)
    for _ in range(copies):
        for pixels, target in zip(images, targets):
            picture = data_digit(pixels, scale=int(rng.integers(4, 10)))
            shear = float(rng.uniform(-0.2, 0.2))
            picture = picture.transform(
                picture.size, Image.Transform.AFFINE,
                (1, shear, -shear * picture.height / 2, 0, 1, 0),
                resample=Image.Resampling.BILINEAR, fillcolor=WHITE,
            )
            picture = picture.rotate(float(rng.uniform(-10, 10)), Image.Resampling.BILINEAR,
                                     expand=True, fillcolor=WHITE)
            yield Rendering(picture, int(target))
