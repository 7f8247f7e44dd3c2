from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops

from face_emoji.emoji import YELLOW
from face_emoji.faces import Box
from face_emoji.pipeline import emoji_square, emojify

ORIENTATION = 0x0112


def _close_to_yellow(pixel) -> bool:
    return all(abs(a - b) <= 12 for a, b in zip(pixel[:3], YELLOW[:3]))


def test_emoji_covers_the_face_and_leaves_the_rest_alone(astronaut):
    result = emojify(astronaut, "smile")
    (face,) = result.faces
    assert result.image.size == astronaut.size and result.image.mode == "RGB"
    forehead = (face.x + face.width // 2, face.y + face.height // 8)
    assert _close_to_yellow(result.image.getpixel(forehead))
    assert not _close_to_yellow(astronaut.getpixel(forehead))
    changed = ImageChops.difference(result.image, astronaut.convert("RGB")).getbbox()
    left, top, side = emoji_square(face)
    assert changed[0] >= left and changed[1] >= max(0, top)
    assert changed[2] <= left + side and changed[3] <= top + side


def test_the_input_photo_is_not_drawn_on(astronaut):
    before = astronaut.copy()
    emojify(astronaut)
    assert ImageChops.difference(before, astronaut).getbbox() is None


def test_a_photo_without_faces_comes_back_unchanged(landscape):
    result = emojify(landscape, "heart_eyes")
    assert result.faces == []
    assert ImageChops.difference(result.image, landscape.convert("RGB")).getbbox() is None


def test_mixed_puts_a_different_emoji_on_each_face(group_photo):
    result = emojify(group_photo, "mixed")
    assert len(result.faces) == 3
    crops = []
    for face in result.faces:
        left, top, side = emoji_square(face)
        crops.append(result.image.crop((left, top, left + side, top + side)).resize((64, 64)))
    # The second emoji (wink) has a closed right eye where the first (smile) has an open one.
    assert ImageChops.difference(crops[0], crops[1]).getbbox() is not None


def _sideways_jpeg(photo: Image.Image, orientation: int | None) -> Image.Image:
    """The photo as a camera held sideways stores it: turned, with EXIF saying how to turn back."""
    buffer = io.BytesIO()
    exif = Image.Exif()
    if orientation:
        exif[ORIENTATION] = orientation
    photo.rotate(90, expand=True).save(buffer, "JPEG", quality=92, exif=exif)
    return Image.open(io.BytesIO(buffer.getvalue()))


def test_exif_orientation_is_applied_before_looking_for_faces(astronaut):
    upright = astronaut.crop((0, 0, 320, 240))
    turned = _sideways_jpeg(upright, orientation=6)  # 6: turn 90° clockwise to view
    assert turned.size == (240, 320)
    result = emojify(turned)
    assert result.image.size == (320, 240)
    assert len(result.faces) == 1


def test_without_the_exif_tag_a_sideways_face_is_not_found(astronaut):
    # The control for the test above: the cascade only finds upright faces.
    assert emojify(_sideways_jpeg(astronaut.crop((0, 0, 320, 240)), None)).faces == []


def test_a_transparent_png_keeps_its_transparency(astronaut):
    rgba = astronaut.convert("RGBA")
    rgba.putpixel((0, 0), (0, 0, 0, 0))
    result = emojify(rgba)
    assert result.image.mode == "RGBA" and result.image.getpixel((0, 0))[3] == 0
    assert len(result.faces) == 1


@pytest.mark.parametrize("mode", ["L", "P", "CMYK", "1"])
def test_any_photo_mode_comes_back_as_rgb(astronaut, mode):
    result = emojify(astronaut.convert(mode))
    assert result.image.mode == "RGB" and result.image.size == astronaut.size


def test_a_face_at_the_edge_gets_a_clipped_emoji(astronaut):
    edge = astronaut.crop((104, 0, 304, 200))  # the face now starts ~5 px from the left edge
    result = emojify(edge)
    assert len(result.faces) == 1
    left, top, side = emoji_square(result.faces[0])
    assert left < 0
    changed = ImageChops.difference(result.image, edge.convert("RGB"))
    assert changed.crop((0, top, 1, top + side)).getbbox() is not None  # drawn up to the edge


def test_emoji_square_is_larger_than_the_face_and_sits_a_little_higher():
    left, top, side = emoji_square(Box(100, 100, 100, 100))
    assert side == 135 and left == 82 and top < 100 - (135 - 100) / 2


def test_a_large_photo_comes_back_reduced_with_boxes_in_its_pixels(astronaut):
    photo = Image.new("RGB", (4000, 3000), (90, 90, 100))
    photo.paste(astronaut.resize((3000, 3000), Image.Resampling.BICUBIC), (500, 0))
    result = emojify(photo)
    assert result.image.size == (2048, 1536)
    (face,) = result.faces
    (small,) = emojify(astronaut).faces
    scale = 1536 / 320  # the astronaut is 3000 px of 4000 and 1536 of 2048
    assert abs(face.width - small.width * scale) < 0.1 * face.width
    assert abs(face.x - (256 + small.x * scale)) < 0.1 * face.width


def test_the_size_limit_can_be_lifted(astronaut):
    photo = astronaut.resize((2100, 2100), Image.Resampling.BICUBIC)
    assert emojify(photo, max_side=None).image.size == (2100, 2100)
