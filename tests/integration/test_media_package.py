"""A separately packaged image model, pip-installed, served by gunicorn on every media path.

The package (tests/fixtures/media_model_pkg) is written only against DESIGN §1.1: a required
image and an optional text file in, an image and a caption out. Nothing in the service knows it.
"""
from __future__ import annotations

import base64
import io
import shutil
import subprocess
import sys

import pytest
import requests
from openapi_spec_validator import validate
from PIL import Image as PILImage

from servers import FIXTURES, GunicornServer, service_env

pytestmark = pytest.mark.slow

NAME = "photo_stamp"


def picture(fmt: str = "JPEG", size=(40, 30)) -> bytes:
    image = PILImage.new("RGB", size, (250, 250, 250))
    for x in range(size[0] // 2):  # the left half dark: black after the threshold
        for y in range(size[1]):
            image.putpixel((x, y), (20, 20, 20))
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    target = tmp_path_factory.mktemp("site")
    # Built from a copy: the build leaves build/ and *.egg-info behind, never in the source tree.
    source = shutil.copytree(FIXTURES / "media_model_pkg", tmp_path_factory.mktemp("src") / "pkg")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(source)],
        check=True,
    )
    env = service_env(PYTHONPATH=f"{target}:{service_env()['PYTHONPATH']}")
    with GunicornServer(workers=2, env=env) as running:
        yield running


def url(server, path: str = "predict") -> str:
    return f"{server.url}/api/models/{NAME}/{path}"


def stamped(data: bytes) -> PILImage.Image:
    image = PILImage.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image


def test_the_installed_package_is_listed_ready(server):
    models = {m["qualified_name"]: m for m in requests.get(f"{server.url}/api/models").json()["models"]}
    assert models[NAME]["status"] == "ready" and models[NAME]["version"] == "1.4.0"
    metadata = requests.get(url(server, "metadata")).json()
    assert metadata["input_schema"]["properties"]["photo"]["contentEncoding"] == "base64"
    assert metadata["input_schema"]["required"] == ["photo"]


def test_json_with_base64_image_and_file(server):
    response = requests.post(url(server), json={
        "photo": base64.b64encode(picture()).decode(),
        "notes": base64.b64encode(b"Harbour at dawn\nsecond line").decode()})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["caption"] == "Harbour at dawn (40x30)"
    image = stamped(base64.b64decode(body["image"]))
    assert image.mode == "L" and image.getpixel((0, 0)) == 0 and image.getpixel((39, 0)) == 255


def test_multipart_with_an_image_part_a_file_part_and_a_text_part(server):
    response = requests.post(url(server), files={
        "photo": ("photo.png", picture("PNG"), "image/png"),
        "notes": ("notes.txt", b"Quay\n", "text/plain")}, data={"threshold": "10"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["caption"] == "Quay (40x30)"
    assert stamped(base64.b64decode(body["image"])).getpixel((0, 0)) == 255  # 20 >= 10


def test_raw_body_answered_with_raw_png_by_accept(server):
    response = requests.post(url(server), data=picture(),
                             headers={"Content-Type": "image/jpeg", "Accept": "image/png"})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "image/png"
    assert stamped(response.content).size == (40, 30)


def test_raw_body_answered_with_json_by_default(server):
    response = requests.post(url(server), data=picture(), headers={"Content-Type": "image/jpeg"})
    assert response.json()["caption"] == "Untitled (40x30)"


def test_notes_that_are_not_text_are_refused_naming_the_field(server):
    response = requests.post(url(server), files={
        "photo": ("photo.jpg", picture(), "image/jpeg"),
        "notes": ("notes.txt", b"\xff\xfe\x00binary", "text/plain")})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["notes"]


def test_a_raw_body_of_the_notes_type_is_415(server):
    response = requests.post(url(server), data=b"just notes", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert response.headers["Content-Type"] == "application/problem+json"


def test_the_openapi_document_has_its_operation_with_multipart_and_raw_bodies(server):
    document = requests.get(f"{server.url}/api/openapi.json").json()
    validate(document)
    operation = document["paths"][f"/api/models/{NAME}/predict"]["post"]
    content = operation["requestBody"]["content"]
    assert list(content) == ["application/json", "multipart/form-data", "image/png", "image/jpeg"]
    assert content["multipart/form-data"]["encoding"] == {
        "photo": {"contentType": "image/png, image/jpeg"}, "notes": {"contentType": "text/plain"}}
    multipart = document["components"]["schemas"]["PhotoStampMultipart"]["properties"]
    assert multipart["photo"]["format"] == multipart["notes"]["format"] == "binary"
    assert multipart["threshold"]["type"] == "integer"
    assert list(operation["responses"]["200"]["content"]) == ["application/json", "image/png"]
