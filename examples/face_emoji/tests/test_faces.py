from __future__ import annotations

import io
import threading

from PIL import Image

from face_emoji.faces import Box, DETECTION_SIDE, _drop_nested, detection_copy, find_faces


def test_finds_the_one_face_in_the_shipped_photo(astronaut):
    faces = find_faces(astronaut)
    assert len(faces) == 1
    face = faces[0]
    assert abs(face.x - 109) <= 6 and abs(face.y - 40) <= 6 and 55 <= face.width <= 72


def test_finds_every_face_of_a_group_left_to_right(group_photo):
    faces = find_faces(group_photo)
    assert len(faces) == 3
    assert [face.x for face in faces] == sorted(face.x for face in faces)
    assert faces[0].width > faces[1].width > faces[2].width  # the photos shrink left to right


def test_finds_no_face_where_there_is_none(landscape):
    assert find_faces(landscape) == []


def test_finds_no_face_in_a_blank_picture():
    assert find_faces(Image.new("RGB", (300, 200), "white")) == []


def test_large_photo_is_searched_reduced_but_boxes_are_in_its_own_pixels(astronaut):
    big = astronaut.resize((2560, 2560), Image.Resampling.BICUBIC)
    grey, scale = detection_copy(big)
    assert max(grey.shape) == DETECTION_SIDE and scale == DETECTION_SIDE / 2560
    (face,) = find_faces(big)
    (small,) = find_faces(astronaut)
    assert abs(face.x - small.x * 8) <= 40 and abs(face.width - small.width * 8) <= 60


def test_sixteen_bit_greyscale_png_is_scaled_not_clipped(astronaut):
    grey16 = astronaut.convert("L").convert("I").point(lambda value: value * 257).convert("I;16")
    buffer = io.BytesIO()
    grey16.save(buffer, "PNG")
    reopened = Image.open(buffer)
    assert reopened.mode.startswith("I")
    assert len(find_faces(reopened)) == 1


def test_threads_can_search_at_once(group_photo):
    results, errors = [], []

    def search():
        try:
            results.append(find_faces(group_photo))
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=search) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 4 and all(result == results[0] for result in results)


def test_a_box_found_inside_a_bigger_one_is_the_same_face():
    outer, inner, apart = Box(0, 0, 100, 100), Box(20, 20, 50, 50), Box(150, 0, 60, 60)
    assert _drop_nested([inner, outer, apart]) == [outer, apart]
