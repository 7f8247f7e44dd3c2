from __future__ import annotations

import itertools

import pytest
from PIL import ImageChops

from face_emoji.emoji import CHOICES, EMOJI, MIXED, YELLOW, choice_for, render


@pytest.mark.parametrize("name", EMOJI)
def test_each_emoji_is_a_yellow_disc_transparent_at_its_corners(name):
    picture = render(name, 120)
    assert picture.mode == "RGBA" and picture.size == (120, 120)
    for corner in ((0, 0), (119, 0), (0, 119), (119, 119)):
        assert picture.getpixel(corner)[3] == 0
    forehead = picture.getpixel((60, 14))
    assert forehead[3] == 255
    assert all(abs(a - b) <= 8 for a, b in zip(forehead[:3], YELLOW[:3]))


def test_every_emoji_looks_different():
    # Compared as RGB: getbbox of an RGBA difference looks at alpha only, the same disc for all.
    pictures = {name: render(name, 96).convert("RGB") for name in EMOJI}
    for first, second in itertools.combinations(pictures, 2):
        assert ImageChops.difference(pictures[first], pictures[second]).getbbox() is not None


@pytest.mark.parametrize("size", [1, 2, 7])
def test_emoji_can_be_tiny(size):
    assert render("smile", size).size == (size, size)


def test_mixed_gives_each_face_the_next_emoji():
    assert [choice_for(MIXED, index) for index in range(5)] == [*EMOJI, next(iter(EMOJI))]
    assert choice_for("wink", 3) == "wink"


def test_an_unknown_emoji_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="frown.*smile"):
        choice_for("frown", 0)
    assert MIXED in CHOICES
