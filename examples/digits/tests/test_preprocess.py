from __future__ import annotations

import io
import time

import numpy as np
import pytest
from PIL import Image, ImageOps
from sklearn.datasets import load_digits

from digits_model.preprocess import (
    TARGET_COVERAGE, WORK_SIDE, BlankImageError, block_counts, features, fill_box, grayscale, ink,
    normalise_strokes,
)
from digits_model.render import data_digit, pen_digit

ORIENTATION = 0x0112


def test_features_are_sixty_four_counts_from_0_to_16(three):
    row = features(three)
    assert row.shape == (64,)
    assert row.min() >= 0 and row.max() <= 16 and row.max() > 8


def test_data_set_digits_drawn_as_pictures_come_back_close_to_their_features():
    digits = load_digits()
    correlations = [np.corrcoef(features(data_digit(pixels, 8)), row)[0, 1]
                    for pixels, row in zip(digits.images[:60], digits.data[:60])]
    assert np.mean(correlations) > 0.85  # measured 0.92 over the first 100


def test_light_on_dark_reads_the_same_as_dark_on_light(three):
    assert np.array_equal(features(three), features(ImageOps.invert(three)))


def test_position_and_size_in_the_picture_do_not_matter(three):
    canvas = Image.new("L", (500, 300), 255)
    canvas.paste(three.resize((60, 60), Image.Resampling.LANCZOS), (400, 20))
    assert np.abs(features(canvas) - features(three)).mean() < 1.0


def test_transparency_is_flattened_onto_white(three):
    # Ink kept only in the alpha channel over black pixels: read as plain grey, it is all black.
    alpha_only = Image.merge("RGBA", [Image.new("L", three.size, 0)] * 3 + [ImageOps.invert(three)])
    assert np.array_equal(features(alpha_only), features(three))


def test_exif_orientation_is_applied(three):
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # turn 90° clockwise to view
    three.rotate(90, expand=True).save(buffer, "PNG", exif=exif)
    sideways = Image.open(io.BytesIO(buffer.getvalue()))
    assert np.array_equal(features(sideways), features(three))


def test_sixteen_bit_greyscale_is_scaled_not_clipped(three):
    wide = three.convert("I").point(lambda value: value * 257).convert("I;16")
    assert np.abs(grayscale(wide) - grayscale(three)).max() < 0.01


def test_a_twelve_megapixel_photo_is_reduced_before_the_work():
    photo = pen_digit(5, size=400).resize((4000, 3000))
    started = time.perf_counter()
    row = features(photo)
    assert time.perf_counter() - started < 2.0  # ~0.2 s here; unreduced it takes seconds
    assert row.max() > 8


@pytest.mark.parametrize("picture", [
    Image.new("L", (64, 64), 255),
    Image.new("RGB", (64, 64), (20, 30, 40)),
    Image.effect_noise((64, 64), 4),
], ids=["white", "dark", "faint noise"])
def test_a_picture_with_no_ink_is_refused(picture):
    with pytest.raises(BlankImageError, match="no digit found"):
        features(picture)


def test_the_digit_fills_the_box_keeping_its_shape():
    tall = np.zeros((100, 200), dtype=np.float32)
    tall[10:90, 90:110] = 1.0  # a bar 80 high and 20 wide
    box = fill_box(ink(1.0 - tall)) > 0.5
    rows, cols = np.flatnonzero(box.any(axis=1)), np.flatnonzero(box.any(axis=0))
    assert rows[0] == 0 and rows[-1] == WORK_SIDE - 1
    assert abs(len(cols) - WORK_SIDE / 4) <= 2 and abs(cols.mean() - WORK_SIDE / 2) <= 1


def test_thin_strokes_are_thickened_to_the_data_sets_coverage():
    bitmap = fill_box(ink(grayscale(pen_digit(2, size=200, width=0.02)))) > 0.5
    assert bitmap.mean() < 0.15
    assert abs(normalise_strokes(bitmap).mean() - TARGET_COVERAGE) < 0.03


def test_thick_strokes_are_thinned_but_never_erased():
    rows, cols = np.mgrid[:WORK_SIDE, :WORK_SIDE] - WORK_SIDE / 2
    blob = rows**2 + cols**2 < (WORK_SIDE * 0.45) ** 2  # a filled disc: 64 % ink
    thinned = normalise_strokes(blob)
    assert thinned.any()
    assert abs(thinned.mean() - TARGET_COVERAGE) < abs(blob.mean() - TARGET_COVERAGE)


def test_block_counts_count_ink_in_each_of_the_64_blocks():
    bitmap = np.zeros((32, 32), dtype=bool)
    bitmap[:4, :4] = True  # the first block full
    bitmap[4:6, 4:8] = True  # half of the second block on the diagonal
    counts = block_counts(bitmap).reshape(8, 8)
    assert counts[0, 0] == 16 and counts[1, 1] == 8 and counts.sum() == 24
