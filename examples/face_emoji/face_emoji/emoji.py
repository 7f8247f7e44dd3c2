"""Emoji drawn from shapes with Pillow (no font or picture files), any size, transparent around."""
from __future__ import annotations

import functools
import math
from collections.abc import Callable

from PIL import Image, ImageDraw

SUPERSAMPLE = 4  # drawn at 4× and reduced: Pillow's shapes have no antialiasing of their own

YELLOW = (255, 204, 77, 255)
RIM = (230, 150, 20, 255)
BROWN = (102, 69, 0, 255)
RED = (221, 46, 68, 255)
WHITE = (255, 255, 255, 255)
BLACK = (31, 31, 31, 255)

Box = tuple[float, float, float, float]


def _scaled(side: int, *unit: float) -> list[float]:
    return [value * side for value in unit]


def _ellipse_box(side: int, cx: float, cy: float, rx: float, ry: float) -> list[float]:
    return _scaled(side, cx - rx, cy - ry, cx + rx, cy + ry)


def _face(draw: ImageDraw.ImageDraw, side: int) -> None:
    draw.ellipse(_scaled(side, 0.03, 0.03, 0.97, 0.97), fill=YELLOW, outline=RIM,
                 width=max(1, round(0.025 * side)))


def _open_eyes(draw: ImageDraw.ImageDraw, side: int, which=(0.35, 0.65)) -> None:
    for cx in which:
        draw.ellipse(_ellipse_box(side, cx, 0.38, 0.055, 0.09), fill=BROWN)


def _smile(draw: ImageDraw.ImageDraw, side: int, box: Box = (0.25, 0.3, 0.75, 0.75)) -> None:
    draw.arc(_scaled(side, *box), 20, 160, fill=BROWN, width=max(1, round(0.05 * side)))


def _open_mouth(canvas: Image.Image, box: Box, teeth: bool = False,
                tongue: Box | None = None) -> None:
    """Paint a laughing mouth (the lower half of an ellipse), with teeth or a tongue inside it."""
    side = canvas.width
    shape = Image.new("L", canvas.size, 0)
    ImageDraw.Draw(shape).chord(_scaled(side, *box), 0, 180, fill=255)
    inside = Image.new("RGBA", canvas.size, BROWN)
    detail = ImageDraw.Draw(inside)
    middle = (box[1] + box[3]) / 2
    if teeth:
        detail.rectangle(_scaled(side, box[0], middle, box[2], middle + 0.3 * (box[3] - middle)),
                         fill=WHITE)
    if tongue:
        detail.ellipse(_scaled(side, *tongue), fill=RED)
    canvas.paste(inside, (0, 0), shape)


def _heart(draw: ImageDraw.ImageDraw, side: int, cx: float, cy: float, size: float) -> None:
    """Fill the classic heart curve, ``size`` wide, centred on (cx, cy)."""
    points = []
    for step in range(64):
        t = 2 * math.pi * step / 64
        x = 16 * math.sin(t) ** 3
        y = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
        points.append(((cx + x * size / 34) * side, (cy - (y + 2.5) * size / 34) * side))
    draw.polygon(points, fill=RED)


def smile(canvas: Image.Image) -> None:
    side = canvas.width
    draw = ImageDraw.Draw(canvas)
    _face(draw, side)
    _open_eyes(draw, side)
    _smile(draw, side)


def wink(canvas: Image.Image) -> None:
    side = canvas.width
    draw = ImageDraw.Draw(canvas)
    _face(draw, side)
    _open_eyes(draw, side, which=(0.35,))
    draw.arc(_ellipse_box(side, 0.65, 0.42, 0.09, 0.07), 200, 340, fill=BROWN,
             width=max(1, round(0.045 * side)))
    _open_mouth(canvas, (0.27, 0.45, 0.73, 0.78), tongue=(0.42, 0.6, 0.66, 0.82))


def heart_eyes(canvas: Image.Image) -> None:
    side = canvas.width
    draw = ImageDraw.Draw(canvas)
    _face(draw, side)
    for cx in (0.31, 0.69):
        _heart(draw, side, cx, 0.37, 0.27)
    _open_mouth(canvas, (0.22, 0.42, 0.78, 0.84), teeth=True)


def sunglasses(canvas: Image.Image) -> None:
    side = canvas.width
    draw = ImageDraw.Draw(canvas)
    _face(draw, side)
    frame = max(1, round(0.035 * side))
    draw.line(_scaled(side, 0.06, 0.31, 0.94, 0.31), fill=BLACK, width=frame)
    for left in (0.13, 0.54):
        draw.rounded_rectangle(_scaled(side, left, 0.29, left + 0.33, 0.52),
                               radius=0.09 * side, fill=BLACK)
        draw.line(_scaled(side, left + 0.06, 0.36, left + 0.13, 0.33), fill=WHITE,
                  width=max(1, round(0.02 * side)))
    _smile(draw, side, (0.3, 0.42, 0.7, 0.76))


EMOJI: dict[str, Callable[[Image.Image], None]] = {
    "smile": smile,
    "wink": wink,
    "heart_eyes": heart_eyes,
    "sunglasses": sunglasses,
}
MIXED = "mixed"  # each face its own emoji, in the order above
CHOICES = (*EMOJI, MIXED)


def choice_for(emoji: str, index: int) -> str:
    """Return the emoji for the ``index``-th face: ``emoji`` itself, or the next one for "mixed"."""
    if emoji == MIXED:
        return tuple(EMOJI)[index % len(EMOJI)]
    if emoji not in EMOJI:
        raise ValueError(f"unknown emoji {emoji!r}; choose one of {', '.join(CHOICES)}")
    return emoji


@functools.lru_cache(maxsize=64)
def render(emoji: str, size: int) -> Image.Image:
    """Return ``emoji`` as a ``size``×``size`` RGBA picture (shared: do not draw on it)."""
    if emoji not in EMOJI:
        raise ValueError(f"unknown emoji {emoji!r}; choose one of {', '.join(EMOJI)}")
    side = max(1, size) * SUPERSAMPLE
    # Transparent pixels carry the rim's colour, so reducing leaves no dark fringe round the edge.
    canvas = Image.new("RGBA", (side, side), RIM[:3] + (0,))
    EMOJI[emoji](canvas)
    return canvas.resize((max(1, size), max(1, size)), Image.Resampling.LANCZOS)
