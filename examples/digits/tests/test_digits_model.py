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

from digits_model.model import DigitsInput, DigitsModel  # noqa: E402
from digits_model.train import EXAMPLE_PICTURE  # noqa: E402

PREDICT = "/api/models/digits/predict"


def _png(picture: Image.Image) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return buffer.getvalue()


BLANK_PNG = _png(Image.new("L", (64, 64), 255))


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    models = tmp_path_factory.mktemp("digits") / "models.yaml"
    models.write_text(yaml.safe_dump({
        "discover_entry_points": False,
        "models": [{"class_path": "digits_model.model.DigitsModel"}],
    }))
    app = create_app({"TESTING": True, "MODEL_SERVICE_CONFIG": str(models)}, settings="testing")
    return app.test_client()


def test_the_model_meets_the_contract():
    DigitsModel.check_contract()


def test_the_example_is_a_valid_input_that_reads_seven():
    (example,) = DigitsModel.examples
    data = DigitsInput().load(example)
    assert isinstance(data["image"], Image.Image)
    assert DigitsModel().predict(data)["digit"] == 7


def test_a_blank_picture_is_an_error_of_the_image_field():
    with pytest.raises(ValidationError) as caught:
        DigitsInput().load({"image": base64.b64encode(BLANK_PNG).decode()})
    assert "No digit found" in caught.value.messages["image"][0]


def test_a_batch_reads_the_same_as_one_at_a_time():
    model = DigitsModel()
    items = [DigitsInput().load(example) for example in DigitsModel.examples * 3]
    assert model.predict_batch(items) == [model.predict(item) for item in items]


def test_a_multipart_upload_reads_the_digit(client):
    response = client.post(PREDICT, content_type="multipart/form-data", data={
        "image": (io.BytesIO(EXAMPLE_PICTURE.read_bytes()), "seven.png", "image/png"),
    })
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["digit"] == 7 and set(body["probabilities"]) == {str(d) for d in range(10)}


def test_a_raw_png_body_reads_the_digit(client):
    response = client.post(PREDICT, data=EXAMPLE_PICTURE.read_bytes(),
                           headers={"Content-Type": "image/png"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["digit"] == 7


def test_a_batch_of_base64_pictures_reads_each(client):
    picture = base64.b64encode(EXAMPLE_PICTURE.read_bytes()).decode()
    response = client.post(PREDICT + "_batch", json=[{"image": picture}] * 3)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert [item["digit"] for item in response.get_json()] == [7, 7, 7]


def test_a_blank_picture_is_a_422_naming_the_image(client):
    response = client.post(PREDICT, json={"image": base64.b64encode(BLANK_PNG).decode()})
    assert response.status_code == 422
    assert "image" in response.get_json()["errors"]
