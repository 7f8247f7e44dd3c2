"""Photos for the tests, all made from the public-domain astronaut photo shipped in the package."""
from __future__ import annotations

import pytest
from PIL import Image

from face_emoji.make_example import SAMPLE


def open_sample() -> Image.Image:
    with Image.open(SAMPLE) as photo:
        photo.load()
        return photo


@pytest.fixture
def astronaut() -> Image.Image:
    """The shipped 320×320 JPEG: one face, about 63 px wide, at (109, 40)."""
    return open_sample()


@pytest.fixture
def group_photo() -> Image.Image:
    """Three astronauts side by side at different sizes, on a grey wall: three faces."""
    photo = open_sample()
    canvas = Image.new("RGB", (820, 340), (128, 128, 128))
    left = 10
    for side in (320, 250, 200):
        canvas.paste(photo.resize((side, side), Image.Resampling.LANCZOS), (left, 340 - side))
        left += side + 10
    return canvas


@pytest.fixture
def landscape() -> Image.Image:
    """A photo with no face in it: the shipped photo's lower part (spacesuit and helmet)."""
    return open_sample().crop((0, 160, 320, 320))
