"""The model class and the service around it (DESIGN §1.1); skipped without model_service.media."""
from __future__ import annotations

import base64
import io

import pytest
import yaml
from PIL import Image

pytest.importorskip("model_service.media")

from marshmallow import ValidationError  # noqa: E402

from model_service import create_app  # noqa: E402

from face_emoji.make_example import SAMPLE  # noqa: E402
from face_emoji.model import FaceEmojiInput, FaceEmojiModel  # noqa: E402

PREDICT = "/api/models/face_emoji/predict"


def _decode_image(value: str) -> Image.Image:
    """Open a media value from JSON: base64, or a data: URI."""
    if value.startswith("data:"):
        value = value.split(",", 1)[1]
    return Image.open(io.BytesIO(base64.b64decode(value)))


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    models = tmp_path_factory.mktemp("face_emoji") / "models.yaml"
    models.write_text(yaml.safe_dump({
        "discover_entry_points": False,
        "models": [{"class_path": "face_emoji.model.FaceEmojiModel"}],
    }))
    app = create_app({"TESTING": True, "MODEL_SERVICE_CONFIG": str(models)}, settings="testing")
    return app.test_client()


def test_the_model_meets_the_contract():
    FaceEmojiModel.check_contract()


def test_the_example_is_a_valid_input_with_a_face():
    (example,) = FaceEmojiModel.examples
    data = FaceEmojiInput().load(example)
    assert isinstance(data["photo"], Image.Image)
    result = FaceEmojiModel().predict(data)
    assert result["faces"] == 1 and isinstance(result["image"], Image.Image)
    assert result["boxes"][0]["width"] > 40


def test_an_unknown_emoji_is_a_field_error():
    with pytest.raises(ValidationError) as caught:
        FaceEmojiInput().load({**FaceEmojiModel.examples[0], "emoji": "frown"})
    assert "emoji" in caught.value.messages


def test_a_raw_jpeg_body_with_accept_png_answers_a_png(client):
    response = client.post(PREDICT, data=SAMPLE.read_bytes(),
                           headers={"Content-Type": "image/jpeg", "Accept": "image/png"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "image/png"
    picture = Image.open(io.BytesIO(response.data))
    assert picture.format == "PNG" and picture.size == (320, 320)


def test_json_with_base64_answers_the_picture_and_the_faces(client):
    photo = base64.b64encode(SAMPLE.read_bytes()).decode()
    response = client.post(PREDICT, json={"photo": photo, "emoji": "heart_eyes"})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["faces"] == 1 and len(body["boxes"]) == 1
    assert _decode_image(body["image"]).format == "PNG"


def test_a_multipart_upload_with_an_emoji_choice_works(client):
    response = client.post(PREDICT, content_type="multipart/form-data", data={
        "photo": (io.BytesIO(SAMPLE.read_bytes()), "astronaut.jpg", "image/jpeg"),
        "emoji": "wink",
    })
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["faces"] == 1


def test_a_raw_body_that_is_not_an_image_is_refused_with_415(client):
    response = client.post(PREDICT, data=b"hello", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415


def test_text_sent_as_a_jpeg_is_a_problem_naming_the_photo(client):
    response = client.post(PREDICT, json={"photo": base64.b64encode(b"not a photo").decode()})
    assert 400 <= response.status_code < 500
    assert "photo" in response.get_json()["errors"]
