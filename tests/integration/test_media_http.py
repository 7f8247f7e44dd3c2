"""Images and files through the native API, over real HTTP against gunicorn: JSON (base64 and
data: URIs), multipart, raw bodies and raw answers, and every kind of bad media."""
from __future__ import annotations

import base64
import io
import os
import struct
import zlib

import pytest
import requests
from PIL import Image as PILImage

from helpers import FILE, IMAGE, IRIS, write_models_file
from servers import GunicornServer, service_env

pytestmark = pytest.mark.slow

PROBLEM = "application/problem+json"


def picture(fmt: str = "JPEG", size=(64, 48), exif_orientation: int | None = None) -> bytes:
    image = PILImage.new("RGB", size, (200, 30, 30))
    for x in range(size[0] // 2):
        image.putpixel((x, 0), (0, 0, 255))
    buffer = io.BytesIO()
    if exif_orientation:
        exif = PILImage.Exif()
        exif[0x0112] = exif_orientation
        image.save(buffer, fmt, exif=exif)
    else:
        image.save(buffer, fmt)
    return buffer.getvalue()


def png_bomb(width: int = 6000, height: int = 6000) -> bytes:
    """A PNG that declares 36 megapixels and holds a few kilobytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = zlib.compress(b"\x00" * (width + 1) * height, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = write_models_file(tmp_path_factory.mktemp("media"), [IRIS, IMAGE, FILE])
    with GunicornServer(workers=2, env=service_env(MODEL_SERVICE_CONFIG=str(path))) as running:
        yield running


def predict_url(server, name: str = "image_model") -> str:
    return f"{server.url}/api/models/{name}/predict"


def decoded(value: str) -> PILImage.Image:
    return PILImage.open(io.BytesIO(base64.b64decode(value)))


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == PROBLEM
    assert "Traceback" not in response.text
    return response.json()


# --- The paths in -----------------------------------------------------------------------

def test_json_with_base64_predicts_and_answers_a_png(server):
    response = requests.post(predict_url(server), json={
        "photo": base64.b64encode(picture()).decode(), "size": 16})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["width"], body["height"]) == (64, 48)
    thumbnail = decoded(body["image"])
    assert thumbnail.format == "PNG" and max(thumbnail.size) == 16
    assert not thumbnail.getexif()


def test_json_with_a_data_uri_predicts(server):
    uri = "data:image/png;base64," + base64.b64encode(picture("PNG")).decode()
    response = requests.post(predict_url(server), json={"photo": uri})
    assert response.status_code == 200 and response.json()["width"] == 64


def test_multipart_with_a_file_part_and_typed_text_parts(server):
    response = requests.post(predict_url(server), files={"photo": ("face.jpg", picture(), "image/jpeg")},
                             data={"size": "8"})
    assert response.status_code == 200, response.text
    assert max(decoded(response.json()["image"]).size) == 8


def test_multipart_text_parts_are_typed_by_the_schema_like_the_form(server):
    response = requests.post(predict_url(server), files={"photo": ("face.jpg", picture(), "image/jpeg")},
                             data={"size": "eight"})
    body = problem(response, 422)
    assert body["errors"]["size"] == ["Not a valid value: expected an integer, got a string."]


def test_a_raw_body_with_its_content_type_predicts(server):
    response = requests.post(predict_url(server), data=picture(),
                             headers={"Content-Type": "image/jpeg"})
    assert response.status_code == 200, response.text
    assert response.json()["width"] == 64


def test_accept_image_png_answers_the_raw_bytes(server):
    response = requests.post(predict_url(server), data=picture(),
                             headers={"Content-Type": "image/jpeg", "Accept": "image/png"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert "Accept" in response.headers["Vary"]
    assert PILImage.open(io.BytesIO(response.content)).format == "PNG"


def test_accept_anything_still_answers_json(server):
    response = requests.post(predict_url(server), data=picture(),
                             headers={"Content-Type": "image/jpeg", "Accept": "*/*"})
    assert response.headers["Content-Type"] == "application/json"


def test_exif_orientation_is_applied_before_the_model_sees_the_photo(server):
    rotated = picture(exif_orientation=6)  # stored 64x48, shown rotated by 90 degrees
    response = requests.post(predict_url(server), data=rotated, headers={"Content-Type": "image/jpeg"})
    assert (response.json()["width"], response.json()["height"]) == (48, 64)


def test_batches_take_base64_in_json(server):
    item = {"photo": base64.b64encode(picture()).decode()}
    response = requests.post(f"{server.url}/api/models/image_model/predict_batch", json=[item, item])
    assert response.status_code == 200 and [r["width"] for r in response.json()] == [64, 64]


def test_a_file_model_takes_multipart_and_answers_a_file(server):
    response = requests.post(predict_url(server, "file_model"),
                             files={"document": ("notes.txt", b"three little words", "text/plain")},
                             data={"title": "Notes"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["words"] == 3 and base64.b64decode(body["shouted"]) == b"THREE LITTLE WORDS"


def test_a_file_model_with_another_required_field_takes_no_raw_body(server):
    response = requests.post(predict_url(server, "file_model"), data=b"words",
                             headers={"Content-Type": "text/plain"})
    body = problem(response, 415)
    assert "multipart/form-data" in body["detail"]


# --- Bad media: a 4xx naming the field, never a 500 ------------------------------------------

@pytest.mark.parametrize("content, reason", [
    (b"just some text, not a picture", "PNG or JPEG"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "PNG or JPEG"),
    (None, "PNG or JPEG"),  # a GIF
    (b"truncated", "PNG or JPEG"),
])
def test_content_that_is_not_an_allowed_image_is_422_naming_the_field(server, content, reason):
    if content is None:
        content = picture("GIF")
    elif content == b"truncated":
        noise = PILImage.frombytes("RGB", (100, 100), os.urandom(30_000))
        buffer = io.BytesIO()
        noise.save(buffer, "PNG")
        content = buffer.getvalue()[:15_000]
    response = requests.post(predict_url(server), files={"photo": ("x.png", content, "image/png")})
    body = problem(response, 422)
    assert list(body["errors"]) == ["photo"]


def test_a_truncated_jpeg_is_refused(server):
    response = requests.post(predict_url(server), json={
        "photo": base64.b64encode(picture(size=(300, 300))[:-400]).decode()})
    assert list(problem(response, 422)["errors"]) == ["photo"]


def test_undecodable_base64_is_422(server):
    body = problem(requests.post(predict_url(server), json={"photo": "not*base64!"}), 422)
    assert "base64" in " ".join(body["errors"]["photo"]).lower()


def test_a_data_uri_declaring_another_type_is_422(server):
    uri = "data:text/plain;base64," + base64.b64encode(picture()).decode()
    body = problem(requests.post(predict_url(server), json={"photo": uri}), 422)
    assert list(body["errors"]) == ["photo"]


def test_a_multipart_part_of_the_wrong_type_is_422(server):
    response = requests.post(predict_url(server), files={"photo": ("x.txt", picture(), "text/plain")})
    body = problem(response, 422)
    assert "text/plain" in body["errors"]["photo"][0]


def test_more_bytes_than_max_bytes_is_422_before_decoding(server):
    body = problem(requests.post(predict_url(server), json={"photo": "A" * 1_400_000}), 422)
    assert body["errors"]["photo"] == ["Image is 1050000 bytes; at most 1000000 allowed."]


def test_a_decompression_bomb_is_refused_by_its_pixels(server):
    bomb = png_bomb()
    assert len(bomb) < 100_000
    body = problem(requests.post(predict_url(server), data=bomb,
                                 headers={"Content-Type": "image/png"}), 422)
    assert "pixels" in body["errors"]["photo"][0]


def test_a_raw_body_of_a_type_the_model_does_not_take_is_415(server):
    body = problem(requests.post(predict_url(server), data=b"GIF89a",
                                 headers={"Content-Type": "image/gif"}), 415)
    assert "image/jpeg" in body["detail"]


def test_a_body_over_the_service_limit_is_413(server):
    response = requests.post(predict_url(server), data=b"\xff" * (11 * 1024 * 1024),
                             headers={"Content-Type": "image/jpeg"})
    problem(response, 413)


def test_bad_media_costs_no_worker(server):
    for _ in range(5):
        requests.post(predict_url(server), data=png_bomb(), headers={"Content-Type": "image/png"})
    assert requests.get(f"{server.url}/readyz").status_code == 200
    assert server.process.poll() is None
    assert "Traceback" not in server.output()


def test_media_bytes_never_reach_the_log(server):
    marker = base64.b64encode(picture()).decode()[:40]
    requests.post(predict_url(server), json={"photo": marker + "%%%"})
    assert marker not in server.output()
