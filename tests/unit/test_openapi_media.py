"""The OpenAPI document of media models: JSON with base64, multipart with encodings, raw bodies."""
from __future__ import annotations

import pytest
from helpers import FILE, IMAGE, IRIS
from marshmallow import Schema
from openapi_spec_validator import validate

from model_service import get_registry
from model_service.core.validation import SchemaValidator
from model_service.media import Image
from model_service.protocols.docs import get_document
from model_service.protocols.native import openapi_media
from model_service.protocols.native.codec import accepted_types


@pytest.fixture
def media_app(make_app):
    return make_app([IRIS, IMAGE, FILE])


@pytest.fixture
def document(media_app):
    return get_document(media_app).document


def operation(document: dict, name: str, verb: str = "predict") -> dict:
    return document["paths"][f"/api/models/{name}/{verb}"]["post"]


def test_a_document_with_media_models_is_valid_openapi(document):
    validate(document)


def test_the_image_model_takes_json_multipart_and_its_raw_image_types(document):
    content = operation(document, "image_model")["requestBody"]["content"]
    assert list(content) == ["application/json", "multipart/form-data", "image/png", "image/jpeg"]
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/ImageModelInput"}
    raw = content["image/jpeg"]["schema"]
    assert raw["type"] == "string" and raw["format"] == "binary"
    assert raw["contentMediaType"] == "image/jpeg" and raw["x-maxBytes"] == 1_000_000
    assert "image (PNG or JPEG, up to 1 MB)" in raw["description"]


def test_the_documented_bodies_are_the_ones_the_endpoint_reads(media_app, document):
    for name in ("image_model", "file_model", "iris_model"):
        hosted = get_registry(media_app).get(name)
        content = operation(document, name)["requestBody"]["content"]
        expected = accepted_types(hosted.input_validator) if hosted.input_validator.media_fields \
            else ["application/json"]
        assert list(content) == expected, name


def test_json_bodies_keep_media_fields_as_base64_strings(document):
    photo = document["components"]["schemas"]["ImageModelInput"]["properties"]["photo"]
    assert photo["type"] == "string" and photo["contentEncoding"] == "base64"
    assert photo["contentMediaType"] == "image/*"


def test_multipart_makes_media_fields_binary_parts_with_their_content_types(document):
    multipart = operation(document, "image_model")["requestBody"]["content"]["multipart/form-data"]
    assert multipart["encoding"] == {"photo": {"contentType": "image/png, image/jpeg"}}
    schema = document["components"]["schemas"]["ImageModelMultipart"]
    assert multipart["schema"] == {"$ref": "#/components/schemas/ImageModelMultipart"}
    photo = schema["properties"]["photo"]
    assert (photo["type"], photo["format"], photo["contentMediaType"]) == (
        "string", "binary", "image/*")
    assert "contentEncoding" not in photo and "maxLength" not in photo
    assert photo["description"] == "A photo." and photo["x-formats"] == ["png", "jpeg"]
    # Text parts keep their field's schema: the service reads them by it.
    assert schema["properties"]["size"] == document["components"]["schemas"][
        "ImageModelInput"]["properties"]["size"]
    assert schema["required"] == ["photo"] and schema["additionalProperties"] is False


def test_a_required_text_part_may_not_be_empty_in_multipart(document):
    schema = document["components"]["schemas"]["FileModelMultipart"]
    assert schema["properties"]["title"] == {"type": "string", "minLength": 1}
    assert "minLength" not in document["components"]["schemas"]["FileModelInput"][
        "properties"]["title"]


def test_a_model_with_another_required_field_documents_no_raw_body(document):
    predict = operation(document, "file_model")
    assert list(predict["requestBody"]["content"]) == ["application/json", "multipart/form-data"]
    unsupported = predict["responses"]["415"]
    assert unsupported["description"] == ("The body is sent as none of: application/json, "
                                          "multipart/form-data.")
    example = unsupported["content"]["application/problem+json"]["example"]
    assert example["status"] == 415


def test_a_single_media_output_is_also_answered_raw_by_accept(document):
    image = operation(document, "image_model")
    answers = image["responses"]["200"]["content"]
    assert list(answers) == ["application/json", "image/png"]
    assert answers["image/png"]["schema"]["format"] == "binary"
    assert "Accept: image/png" in image["description"]
    text = operation(document, "file_model")["responses"]["200"]["content"]
    assert list(text) == ["application/json", "text/plain"]


def test_an_output_of_one_media_type_can_never_be_406(document):
    assert "406" not in operation(document, "image_model")["responses"]


def test_an_output_of_several_media_types_documents_406():
    class Output(Schema):
        picture = Image(required=True, formats=("png", "jpeg"))

    response = openapi_media.not_acceptable(SchemaValidator(Output))
    assert "Accept" in response["description"]
    example = response["content"]["application/problem+json"]["example"]
    assert example["status"] == 406 and "image/png" in example["detail"]


def test_batches_stay_json_with_base64(document):
    batch = operation(document, "image_model", "predict_batch")
    assert list(batch["requestBody"]["content"]) == ["application/json"]
    assert "415" in batch["responses"]


def test_models_without_media_are_documented_as_before(document):
    iris = operation(document, "iris_model")
    assert list(iris["requestBody"]["content"]) == ["application/json"]
    assert iris["responses"]["415"] == {"$ref": "#/components/responses/UnsupportedMediaType"}
    assert list(iris["responses"]["200"]["content"]) == ["application/json"]
    assert "IrisModelMultipart" not in document["components"]["schemas"]


def test_the_image_models_example_is_a_request_example(document):
    content = operation(document, "image_model")["requestBody"]["content"]["application/json"]
    (example,) = content["examples"].values()
    assert example["value"]["photo"].startswith("iVBORw0KGgo")  # a PNG's base64


def test_the_image_models_example_predicts(media_app, document):
    content = operation(document, "image_model")["requestBody"]["content"]["application/json"]
    (example,) = content["examples"].values()
    response = media_app.test_client().post("/api/models/image_model/predict",
                                            json=example["value"])
    assert response.status_code == 200, response.get_data(as_text=True)
    assert (response.get_json()["width"], response.get_json()["height"]) == (2, 2)
