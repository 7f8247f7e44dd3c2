"""Shared pictures and the trained reader for the digits tests."""
from __future__ import annotations

import pytest
from PIL import Image

from digits_model.reader import DigitReader
from digits_model.render import pen_digit
from digits_model.train import EXAMPLE_PICTURE


@pytest.fixture(scope="session")
def reader() -> DigitReader:
    return DigitReader()


@pytest.fixture
def seven() -> Image.Image:
    """The example picture shipped in the package."""
    with Image.open(EXAMPLE_PICTURE) as picture:
        picture.load()
        return picture


@pytest.fixture
def three() -> Image.Image:
    """A pen-drawn 3, dark on white, 120 px."""
    return pen_digit(3, size=120, width=0.08)
