"""Paste an emoji over every face in a photo: the model's whole logic, without the service."""
from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageOps

from .emoji import choice_for, render
from .faces import Box, eight_bit_grey, find_faces

# A Haar box runs from the brows to the mouth; the emoji covers the head, forehead to chin,
# so it is larger than the box and sits a little higher.
EMOJI_SCALE = 1.35
EMOJI_RAISE = 0.08
# The answer is a PNG, about 3 bytes a pixel for a photo (zlib keeps little of a photo's detail):
# 36 MB for 12 MP, too big to send back. Photos are reduced to 2048 px on their long side first:
# 4.2 MP, at most ~13 MB as RGB (~17 MB as RGBA), enough to see and share.
OUTPUT_SIDE = 2048


@dataclass(frozen=True)
class Result:
    """The photo with its emoji, and the faces they cover (in the returned photo's pixels)."""

    image: Image.Image
    faces: list[Box]


def upright_rgb(image: Image.Image) -> Image.Image:
    """Return an upright 8-bit RGB (or RGBA, if it has transparency) copy of any photo."""
    image = ImageOps.exif_transpose(image)  # the service has done it; a no-op then
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        return image.convert("RGBA")
    if image.mode.startswith("I"):
        image = eight_bit_grey(image)
    return image.convert("RGB")


def emoji_square(face: Box) -> tuple[int, int, int]:
    """Return where the emoji for ``face`` goes: left, top and side, in the photo's pixels."""
    side = round(max(face.width, face.height) * EMOJI_SCALE)
    centre_x = face.x + face.width / 2
    centre_y = face.y + face.height / 2 - EMOJI_RAISE * face.height
    return round(centre_x - side / 2), round(centre_y - side / 2), side


def emojify(image: Image.Image, emoji: str = "smile", max_side: int | None = OUTPUT_SIDE) -> Result:
    """Return a copy of ``image`` with ``emoji`` over each face found, and the faces' boxes.

    The copy is upright and at most ``max_side`` px on its long side (None: the photo's size);
    the boxes are in its pixels.
    """
    photo = upright_rgb(image)
    if max_side and max(photo.size) > max_side:
        photo = ImageOps.contain(photo, (max_side, max_side), Image.Resampling.BILINEAR)
    faces = find_faces(photo)
    for index, face in enumerate(faces):
        left, top, side = emoji_square(face)
        sticker = render(choice_for(emoji, index), side)
        # paste clips at the edges (alpha_composite refuses negative positions).
        photo.paste(sticker, (left, top), sticker)
    return Result(photo, faces)
