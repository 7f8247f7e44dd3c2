"""Images and files in pydantic schemas: the marshmallow fields' checks, schema and answers."""
from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image as PILImage
from pydantic import BaseModel, ValidationError

from fixture_models import file_model, image_model
from fixture_models import pydantic_media_models as twins
from helpers import FILE, IMAGE
from model_service.core.validation import SchemaValidator
from model_service.pydantic_media import INPUT_CONTEXT, File, Image

PYDANTIC_IMAGE = {"class_path": "fixture_models.pydantic_media_models.PydanticImageModel"}
PYDANTIC_FILE = {"class_path": "fixture_models.pydantic_media_models.PydanticFileModel"}
# marshmallow model -> its pydantic twin, by hosted name
TWINS = {"image_model": "pydantic_image", "file_model": "pydantic_file"}


def picture(fmt: str = "PNG", size=(40, 20)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, (200, 30, 30)).save(buffer, fmt)
    return buffer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from helpers import build_app

    app = build_app(tmp_path_factory.mktemp("media"), [IMAGE, FILE, PYDANTIC_IMAGE, PYDANTIC_FILE])
    return app.test_client()


@pytest.mark.parametrize("marshmallow, pydantic", [
    (image_model.ImageInput, twins.ImageInput), (image_model.ImageOutput, twins.ImageOutput),
    (file_model.FileInput, twins.FileInput), (file_model.FileOutput, twins.FileOutput)])
def test_media_schemas_publish_the_same_json_schema_in_both_libraries(marshmallow, pydantic):
    assert SchemaValidator(pydantic).json_schema == SchemaValidator(marshmallow).json_schema


def test_the_media_fields_are_the_marshmallow_fields_so_every_part_of_the_service_reads_them():
    validator = SchemaValidator(twins.ImageInput)
    (name, field), = validator.media_fields.items()
    assert name == "photo" and field.formats == ("png", "jpeg") and field.max_bytes == 1_000_000
    assert validator.raw_input_field == ("photo", field)
    assert SchemaValidator(twins.ImageOutput).raw_output_field[0] == "image"
    assert SchemaValidator(twins.FileInput).raw_input_field is None  # `title` is required too


def test_an_optional_media_field_is_nullable_and_may_stand_for_a_raw_body():
    validator = SchemaValidator(twins.OptionalMedia)
    assert validator.json_schema["properties"]["notes"]["type"] == ["string", "null"]
    assert validator.raw_input_field[0] == "notes"
    loaded, errors = validator.load({"notes": b"some words"})
    assert errors is None and loaded.notes == b"some words"


def test_a_raw_body_fills_the_one_required_media_field_beside_optional_ones_as_in_marshmallow():
    from marshmallow import Schema, fields

    from model_service.media import File as FileField
    from model_service.media import Image as ImageField

    class PhotoWithNotesSchema(Schema):
        photo = ImageField(required=True, formats=("png",))
        notes = FileField(media_types=("text/plain",), allow_none=True, load_default=None)
        label = fields.String(load_default="none")

    pydantic = SchemaValidator(twins.PhotoWithNotes)
    assert pydantic.raw_input_field[0] == "photo" == SchemaValidator(
        PhotoWithNotesSchema).raw_input_field[0]
    assert pydantic.json_schema == SchemaValidator(PhotoWithNotesSchema).json_schema
    assert SchemaValidator(twins.FileInput).raw_input_field is None  # `title` is required too


def test_a_request_is_decoded_from_base64_a_data_uri_or_bytes_into_a_pil_image():
    validator = SchemaValidator(twins.ImageInput)
    for value in (b64(picture()), "data:image/png;base64," + b64(picture()), picture("JPEG")):
        loaded, errors = validator.load({"photo": value})
        assert errors is None and isinstance(loaded.photo, PILImage.Image)
        assert loaded.photo.size == (40, 20)


def test_bad_media_is_refused_with_the_marshmallow_fields_messages():
    for value in (b64(b"GIF89a" + b"\0" * 20), "not base64!", b64(picture(size=(1, 1))) + "="):
        pydantic_errors = SchemaValidator(twins.ImageInput).load({"photo": value})[1]
        marshmallow_errors = SchemaValidator(image_model.ImageInput).load({"photo": value})[1]
        assert pydantic_errors == marshmallow_errors and list(pydantic_errors) == ["photo"]


def test_a_model_builds_instances_from_python_values_checked_when_serialised():
    output = twins.ImageOutput(image=PILImage.new("RGB", (4, 4)), width=4, height=4, mode="RGB")
    dumped = output.model_dump(mode="json")
    assert PILImage.open(io.BytesIO(base64.b64decode(dumped["image"]))).format == "PNG"
    with pytest.raises(ValidationError, match="Expected a PIL image or encoded bytes, got str"):
        twins.ImageOutput(image="text", width=1, height=1, mode="RGB")
    with pytest.raises(ValidationError, match="Expected bytes, got int"):
        twins.FileOutput(title="t", words=1, shouted=3)


def test_an_output_image_in_a_format_the_field_does_not_give_names_the_field():
    validator = SchemaValidator(twins.ImageOutput)
    _, errors = validator.dump_checked({"image": picture("JPEG"), "width": 1, "height": 1,
                                        "mode": "RGB"})
    assert errors == {"image": ["Not a PNG image."]}


def test_the_annotated_and_the_bare_spelling_are_the_same_type():
    from typing import Annotated, Any

    class Bare(BaseModel):
        doc: File(media_types=("application/pdf",))

    class Wrapped(BaseModel):
        doc: Annotated[Any, File(media_types=("application/pdf",))]

    assert SchemaValidator(Bare).json_schema == SchemaValidator(Wrapped).json_schema
    assert Bare.model_validate({"doc": b64(b"%PDF-1.7")}, context=INPUT_CONTEXT).doc == b"%PDF-1.7"


def test_bad_arguments_fail_when_the_schema_is_written():
    with pytest.raises(ValueError, match="Unknown image format 'tiff'"):
        Image(formats=("tiff",))
    with pytest.raises(ValueError, match="max_bytes must be a positive integer"):
        File(max_bytes=0)


# The same requests to a marshmallow model and its pydantic twin get the same answers.

def _requests():
    png, jpeg = picture(), picture("JPEG")
    return [
        ("image_model", dict(json={"photo": b64(jpeg), "size": 16})),
        ("image_model", dict(json={"photo": "data:image/png;base64," + b64(png)})),
        ("image_model", dict(data={"photo": (jpeg, "p.jpg", "image/jpeg"),
                                   "size": "8"}, content_type="multipart/form-data")),
        ("image_model", dict(data=png, content_type="image/png")),
        ("image_model", dict(data=png, content_type="image/png", headers={"Accept": "image/png"})),
        ("image_model", dict(data=b"GIF89a", content_type="image/gif")),
        ("image_model", dict(json={"photo": b64(b"<svg></svg>")})),
        ("image_model", dict(json={"photo": "data:image/gif;base64," + b64(png)})),
        ("image_model", dict(json={"photo": b64(png), "size": "16"})),
        ("image_model", dict(json={"photo": b64(png), "other": 1})),
        ("image_model", dict(json={"photo": "x" * 1_400_000})),
        ("file_model", dict(json={"document": b64(b"two words"), "title": "t"})),
        ("file_model", dict(data={"document": (b"a b c", "d.txt", "text/plain"),
                                  "title": "t"}, content_type="multipart/form-data")),
        ("file_model", dict(json={"document": b64(b"\xff\xfe\x00"), "title": "t"})),
        ("file_model", dict(data=b"words", content_type="text/plain")),
    ]


@pytest.mark.parametrize("name, request_", _requests(), ids=range(len(_requests())))
def test_a_marshmallow_media_model_and_its_pydantic_twin_answer_alike(client, name, request_):
    answers = []
    for hosted in (name, TWINS[name]):
        kwargs = dict(request_)
        data = kwargs.get("data")
        if isinstance(data, dict):  # a file part is read once: give each request its own
            kwargs["data"] = {key: (io.BytesIO(value[0]), *value[1:])
                              if isinstance(value, tuple) else value for key, value in data.items()}
        response = client.post(f"/api/models/{hosted}/predict", **kwargs)
        body = response.get_data().replace(hosted.encode(), b"<name>")
        if response.is_json:
            body = {key: value for key, value in json.loads(body).items() if key != "request_id"}
        answers.append((response.status_code, response.headers["Content-Type"], body))
    assert answers[0] == answers[1]
    assert answers[0][0] < 500


@pytest.mark.parametrize("name", TWINS)
def test_the_api_document_describes_a_pydantic_media_model_as_its_marshmallow_twin(client, name):
    from openapi_spec_validator import validate

    from model_service.protocols.docs import get_document

    document = get_document(client.application).document
    validate(document)
    twin = TWINS[name]

    def operations(model: str, component: str) -> str:
        text = json.dumps({path: document["paths"][path] for path in document["paths"]
                           if path.startswith(f"/api/models/{model}/")})
        return text.replace(model, "<name>").replace(component, "<Component>")

    assert operations(twin, "Pydantic" + name.split("_")[0].title()) == operations(
        name, name.split("_")[0].title() + "Model")
    schemas = document["components"]["schemas"]
    base = name.split("_")[0].title()
    for suffix in ("Input", "Output", "Multipart"):
        if f"{base}Model{suffix}" in schemas:
            assert schemas[f"Pydantic{base}{suffix}"] == schemas[f"{base}Model{suffix}"]
