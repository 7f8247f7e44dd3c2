"""Images and files in the prediction form: a file input per media field, with and without
JavaScript; a chosen picture previewed and kept across an error; image outputs shown as images."""
from __future__ import annotations

import base64
import io
import re

import pytest
from PIL import Image as PILImage
from playwright.sync_api import expect

from helpers import FILE, IMAGE, write_models_file
from model_service import create_app
from servers import ThreadedServer

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def media_site(tmp_path_factory):
    models_file = write_models_file(tmp_path_factory.mktemp("media-site"), [IMAGE, FILE])
    app = create_app({"TESTING": True, "MODEL_SERVICE_CONFIG": str(models_file)},
                     settings="testing")
    with ThreadedServer(app) as server:
        yield server.url


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "photo.jpg"
    image = PILImage.new("RGB", (120, 80), (30, 120, 200))
    image.save(path, "JPEG")
    return path


def submit(page, javascript: bool) -> None:
    if javascript:
        page.get_by_role("button", name="Predict").click()
    else:
        with page.expect_navigation():
            page.get_by_role("button", name="Predict").click()


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_an_uploaded_photo_is_predicted_and_the_answer_shown_as_an_image(request, media_site,
                                                                        photo, javascript):
    page = request.getfixturevalue("page" if javascript else "static_page")
    page.goto(media_site + "/models/image_model/predict")
    upload = page.get_by_label("Photo")
    expect(upload).to_have_attribute("type", "file")
    expect(upload).to_have_attribute("accept", "image/png,image/jpeg")
    upload.set_input_files(str(photo))
    if javascript:  # the chosen picture is previewed before anything is sent
        expect(page.locator("[data-kept-preview] img")).to_have_attribute(
            "src", re.compile(r"^data:image/jpeg;base64,"))
    page.get_by_label("Size").fill("16")
    submit(page, javascript)
    answer = page.locator("#result-rows tr[data-kind='media'] img.media-output")
    expect(answer).to_be_visible()
    src = answer.get_attribute("src")
    assert src.startswith("data:image/png;base64,")
    picture = PILImage.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
    assert picture.format == "PNG" and max(picture.size) == 16
    expect(page.locator("#result-rows a.media-download")).to_have_attribute("download", "image")
    expect(page.locator("#result-rows tr[data-path='width'] td")).to_have_text("120")


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_a_field_error_keeps_the_chosen_photo(request, media_site, photo, watch, javascript):
    page = request.getfixturevalue("page" if javascript else "static_page")
    watch.allow_console(r"status of 422 .*/api/models/image_model/predict")
    page.goto(media_site + "/models/image_model/predict")
    page.get_by_label("Photo").set_input_files(str(photo))
    page.get_by_label("Size").fill("999")
    submit(page, javascript)
    expect(page.locator("[data-field='size'] [data-errors]")).to_contain_text("256")
    kept = page.locator("[data-field='photo'] input[data-kept]")
    assert kept.get_attribute("value").startswith("data:image/jpeg;base64,")
    page.get_by_label("Size").fill("8")
    submit(page, javascript)  # no new upload: the kept photo is sent
    expect(page.locator("#result-rows tr[data-kind='media'] img.media-output")).to_be_visible()


def test_a_file_of_the_wrong_kind_is_refused_by_its_field(static_page, media_site, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture")
    static_page.goto(media_site + "/models/image_model/predict")
    static_page.get_by_label("Photo").set_input_files(str(notes))
    submit(static_page, False)
    expect(static_page.locator("[data-field='photo'] [data-errors]")).to_contain_text("PNG or JPEG")


def test_a_file_model_takes_a_text_file_and_offers_its_answer_as_a_download(static_page, media_site,
                                                                           tmp_path):
    document = tmp_path / "words.txt"
    document.write_text("three little words")
    static_page.goto(media_site + "/models/file_model/predict")
    static_page.get_by_label("Document").set_input_files(str(document))
    static_page.get_by_label("Title").fill("Notes")
    submit(static_page, False)
    link = static_page.locator("#result-rows tr[data-path='shouted'] a.media-download")
    expect(link).to_have_attribute("href", "data:text/plain;base64,"
                                   + base64.b64encode(b"THREE LITTLE WORDS").decode())
    expect(static_page.locator("#result-rows tr[data-path='words'] td")).to_have_text("3")
