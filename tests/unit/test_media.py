"""Image and File fields: what reaches a model, what leaves it, and what is refused and why."""
import base64
import io
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from marshmallow import Schema, ValidationError, fields
from PIL import Image as PILImage
from PIL import ImageOps, PngImagePlugin

from model_service.core.fastpath import compile_plan
from model_service.media import (File, Image, describe_json_schema, is_media_field, media_fields,
                                 raw_body_field, raw_response_field, without_content_assertions)
from model_service.core.schema import to_json_schema
from model_service.core.validation import SchemaValidator

REPO = Path(__file__).resolve().parents[2]
ORIENTATION = 0x0112


# ------------------------------------------------------------------------------------------------
# Real files, made with Pillow


def encode(image, image_format, **options):
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def b64(data):
    return base64.b64encode(data).decode("ascii")


def half_red_half_blue(size=(40, 20)):
    """An image whose left half is red and right half blue, so a rotation shows in its pixels."""
    image = PILImage.new("RGB", size, (255, 0, 0))
    image.paste((0, 0, 255), (size[0] // 2, 0, size[0], size[1]))
    return image


def png_bytes(size=(40, 20), **options):
    return encode(half_red_half_blue(size), "PNG", **options)


def jpeg_with_exif(orientation=6):
    exif = PILImage.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "Camera maker"  # Make: the kind of detail a caller may not want to pass on
    return encode(half_red_half_blue(), "JPEG", exif=exif.tobytes(), quality=95)


def noisy_png(size=(64, 64)):
    """A PNG whose compressed data is large enough to cut in the middle of its pixels."""
    return encode(PILImage.effect_noise(size, 64).convert("RGB"), "PNG")


def bomb_png(side=6000):
    """A real PNG of side×side black pixels: a few kilobytes that would decode to 108 MB."""
    return encode(PILImage.new("1", (side, side)), "PNG", optimize=True)


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10"/></svg>'


class PhotoInput(Schema):
    photo = Image(required=True, formats=("png", "jpeg"), max_bytes=8_000_000,
                  max_pixels=25_000_000, metadata={"description": "A photo."})
    notes = File(media_types=("text/plain",), max_bytes=100_000)
    threshold = fields.Integer()


class PhotoOutput(Schema):
    image = Image(required=True, formats=("png",))


@pytest.fixture(scope="module")
def photo():
    return PhotoInput._declared_fields["photo"]


@pytest.fixture(scope="module")
def validator():
    return SchemaValidator(PhotoInput)


def refusal(field, value):
    with pytest.raises(ValidationError) as caught:
        field.deserialize(value)
    return caught.value.messages


# ------------------------------------------------------------------------------------------------
# What a model receives


def test_a_base64_png_reaches_the_model_as_a_loaded_pil_image(photo):
    image = photo.deserialize(b64(png_bytes()))
    assert isinstance(image, PILImage.Image) and image.size == (40, 20)
    assert image.getpixel((0, 0)) == (255, 0, 0) and image.getpixel((39, 0)) == (0, 0, 255)


def test_raw_bytes_and_a_data_uri_give_the_same_image_as_base64(photo):
    from_bytes = photo.deserialize(png_bytes())
    from_uri = photo.deserialize("data:image/png;base64," + b64(png_bytes()))
    assert from_bytes.tobytes() == from_uri.tobytes() == photo.deserialize(b64(png_bytes())).tobytes()


def test_a_jpeg_is_turned_upright_by_its_exif_orientation_and_loses_its_exif(photo):
    image = photo.deserialize(b64(jpeg_with_exif(orientation=6)))
    assert image.size == (20, 40)  # 40×20 stored, "rotate 90° clockwise to display"
    red, blue = image.getpixel((10, 5)), image.getpixel((10, 35))
    assert red[0] > 200 > red[2] and blue[2] > 200 > blue[0]  # red on top, blue below
    assert dict(image.getexif()) == {} and "exif" not in image.info


def test_the_model_gets_a_plain_image_without_any_metadata(photo):
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "taken at home")
    image = photo.deserialize(png_bytes(pnginfo=text, dpi=(300, 300)))
    assert type(image) is PILImage.Image and image.info == {}
    assert dict(image.getexif()) == {}


def test_a_jpeg_with_unreadable_exif_is_taken_as_stored_without_a_warning(photo):
    broken = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x05\x01\x12\x00\x03"  # cut short
    data = encode(half_red_half_blue(), "JPEG", exif=broken)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        image = photo.deserialize(data)
    assert image.size == (40, 20) and dict(image.getexif()) == {}


def test_a_palette_image_keeps_its_transparent_entry(photo):
    palette = PILImage.new("P", (8, 8), 0)
    palette.putpalette([0, 0, 0, 255, 255, 255])
    image = photo.deserialize(encode(palette, "PNG", transparency=0))
    assert image.mode == "P" and image.info == {"transparency": 0}


def test_a_format_name_is_case_insensitive_and_jpg_means_jpeg():
    assert Image(formats=("PNG", "jpg")).formats == ("png", "jpeg")


# ------------------------------------------------------------------------------------------------
# What is refused, and why


@pytest.mark.parametrize("content", [
    encode(half_red_half_blue(), "GIF"),
    SVG,
    b"just some text, not a picture",
    b"",
], ids=["gif", "svg", "text", "empty"])
def test_content_that_is_not_png_or_jpeg_is_refused_whatever_it_claims(photo, content):
    assert refusal(photo, content) == ["Not a PNG or JPEG image."]
    assert refusal(photo, "data:image/png;base64," + b64(content)) == ["Not a PNG or JPEG image."]


def test_a_gif_is_accepted_where_gif_is_asked():
    assert Image(formats=("gif",)).deserialize(encode(half_red_half_blue(), "GIF")).size == (40, 20)


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_a_truncated_png_is_refused(photo, cut):
    data = noisy_png()
    assert refusal(photo, data[:int(len(data) * cut)]) == ["The PNG image is truncated."]


def test_a_truncated_jpeg_is_refused(photo):
    data = encode(PILImage.effect_noise((64, 64), 64), "JPEG")
    assert refusal(photo, data[: len(data) // 2]) == ["The JPEG image is truncated."]


def test_a_corrupt_png_is_refused(photo):
    data = bytearray(noisy_png())
    data[200:400] = bytes(200)  # zeroes over the compressed pixels
    assert refusal(photo, bytes(data)) == ["The PNG image is corrupt."]


def test_a_decompression_bomb_is_refused_from_its_header(photo):
    data = bomb_png()
    assert len(data) < 50_000
    assert refusal(photo, b64(data)) == ["Image is 36000000 pixels; at most 25000000 allowed."]


def test_pillows_own_bomb_limit_is_an_error_not_a_warning(monkeypatch):
    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", 1000)
    field = Image(max_pixels=25_000_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a leaked warning would raise here instead of the refusal
        # 1600 pixels: Pillow would warn; 2500: Pillow raises before the size is known to us.
        assert refusal(field, png_bytes((40, 40))) == ["Image is 1600 pixels; at most 1000 allowed."]
        assert refusal(field, png_bytes((50, 50))) == ["Image is 2500 pixels; at most 1000 allowed."]


def test_more_bytes_than_allowed_are_refused_for_bytes_and_base64():
    field = File(max_bytes=100)
    assert refusal(field, b"x" * 101) == ["File is 101 bytes; at most 100 allowed."]
    assert refusal(field, b64(b"x" * 101)) == ["File is 101 bytes; at most 100 allowed."]
    assert field.deserialize(b64(b"x" * 100)) == b"x" * 100


def test_the_size_of_base64_is_checked_before_it_is_decoded():
    # Invalid base64 too: the size is known from the length alone, so no decoding is attempted.
    assert refusal(File(max_bytes=100), "*" * 1000) == ["File is 750 bytes; at most 100 allowed."]


@pytest.mark.parametrize("text, reason", [
    ("aGVs\r\n\r\nbG8=", "It contains spaces or line breaks; encode without wrapping "
                         "(base64 -w0, or base64.b64encode in Python)."),
    ("aGVs    bG8=", "It contains spaces or line breaks; encode without wrapping "
                     "(base64 -w0, or base64.b64encode in Python)."),
    ("-_8=", "It uses the URL-safe alphabet ('-' and '_'); the standard one ('+' and '/') is "
             "expected."),
    ("aGV*", "The character '*' at position 3 is not in the base64 alphabet."),
    ("aGVs****bG8=", "The character '*' at position 4 is not in the base64 alphabet."),
    ("aGVsbé==", "The character 'é' at position 5 is not in the base64 alphabet."),
    ("aGVsbG8", "Its length (7) is not a multiple of 4; is the '=' padding missing?"),
    ("aGVsbG8====", "'=' may only pad the end, at most twice."),
    ("aG=sbG8=", "'=' may only pad the end, at most twice."),
    ("AA=A", "'=' may only pad the end, at most twice."),
    ("=AAA", "'=' may only pad the end, at most twice."),
])
def test_invalid_base64_is_refused_with_its_reason(text, reason):
    assert refusal(File(), text) == [f"Not valid base64. {reason}"]


def test_a_data_uri_declaring_a_type_the_field_does_not_take_is_refused(photo):
    assert refusal(photo, "data:image/gif;base64," + b64(png_bytes())) == [
        "The data: URI declares image/gif; this field takes image/png or image/jpeg."]


def test_a_data_uri_must_be_base64(photo):
    assert refusal(photo, "data:text/plain,hello") == [
        "Only base64 data: URIs are accepted: data:<media type>;base64,<data>."]
    assert refusal(photo, "data:image/png;base64" + "A" * 400) == [
        "Not a valid data: URI: expected data:<media type>;base64,<data>."]


def test_a_data_uri_with_parameters_or_no_declared_type_lets_the_content_decide(photo):
    notes = File(media_types=("text/plain",))
    assert notes.deserialize("data:text/plain;charset=utf-8;base64," + b64(b"hi")) == b"hi"
    assert photo.deserialize("data:application/octet-stream;base64," + b64(png_bytes())).size
    assert photo.deserialize("data:;base64," + b64(png_bytes())).size


def test_a_value_that_is_neither_text_nor_bytes_is_refused(photo):
    assert refusal(photo, 12) == ["Not a valid image: expected a base64 string, got int."]


def test_decoding_from_several_threads_at_once_gives_every_answer_and_leaves_warnings_alone(photo):
    filters = list(warnings.filters)
    # Large enough that decodes overlap (Pillow lets go of the GIL while it inflates pixels).
    good, bomb = noisy_png((400, 400)), bomb_png()
    results = {}

    def decode(index):
        try:
            results[index] = photo.deserialize(good if index % 2 else bomb).size
        except ValidationError as error:
            results[index] = error.messages

    threads = [threading.Thread(target=decode, args=(index,)) for index in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(results[i] == ((400, 400) if i % 2 else
                              ["Image is 36000000 pixels; at most 25000000 allowed."])
               for i in range(16))
    assert warnings.filters == filters


# ------------------------------------------------------------------------------------------------
# File: content rules


def test_a_text_file_must_be_utf8_text():
    notes = File(media_types=("text/plain",))
    assert notes.deserialize("café\n".encode()) == "café\n".encode()
    assert refusal(notes, "café".encode("latin-1")) == ["Not a text/plain file."]
    assert refusal(notes, b"a\x00b") == ["Not a text/plain file."]
    assert refusal(notes, png_bytes()) == ["Not a text/plain file."]


def test_a_pdf_or_json_file_is_recognised_by_its_content():
    documents = File(media_types=("application/pdf", "application/json"))
    assert documents.deserialize(b"%PDF-1.7\n...") == b"%PDF-1.7\n..."
    assert documents.deserialize(b'{"a": [1, 2]}') == b'{"a": [1, 2]}'
    assert refusal(documents, b"{not json") == ["Not an application/pdf or application/json file."]
    assert refusal(documents, b"NaN") == ["Not an application/pdf or application/json file."]


def test_a_file_of_any_type_or_of_a_type_without_a_rule_takes_any_bytes_and_says_so():
    assert File().deserialize(b"\x00\x01") == b"\x00\x01"
    flac = File(media_types=("audio/flac",))
    assert flac.deserialize(b"anything") == b"anything" and not flac.checks_content
    assert flac.describe() == "file (audio/flac, content not checked, up to 8 MB)"


def test_badly_declared_fields_fail_when_the_schema_is_defined():
    with pytest.raises(ValueError, match="Unknown image format 'tiff'"):
        Image(formats=("tiff",))
    with pytest.raises(ValueError, match="Not a media type: 'pdf'"):
        File(media_types=("pdf",))
    with pytest.raises(ValueError, match="max_bytes must be a positive integer"):
        File(max_bytes=0)
    with pytest.raises(ValueError, match="max_pixels must be a positive integer"):
        Image(max_pixels=-1)


# ------------------------------------------------------------------------------------------------
# What leaves a model


def dumped(schema_class, result):
    return SchemaValidator.for_schema(schema_class).dump_checked(result)


def decoded_output(value):
    return PILImage.open(io.BytesIO(base64.b64decode(value)))


def test_a_pil_image_output_is_encoded_as_the_first_format_without_exif():
    image = half_red_half_blue()
    exif = PILImage.Exif()
    exif[0x010F] = "Camera maker"
    image.info["exif"] = exif.tobytes()  # as an image opened from a camera file would carry
    result, errors = dumped(PhotoOutput, {"image": image})
    output = decoded_output(result["image"])
    assert errors is None and output.format == "PNG" and dict(output.getexif()) == {}
    assert output.convert("RGB").tobytes() == half_red_half_blue().tobytes()


def test_a_jpeg_field_encodes_a_pil_image_as_jpeg():
    class JpegOutput(Schema):
        image = Image(formats=("jpeg", "png"))

    result, errors = dumped(JpegOutput, {"image": half_red_half_blue()})
    assert errors is None and decoded_output(result["image"]).format == "JPEG"


def test_encoded_bytes_without_exif_are_passed_on_unchanged():
    data = png_bytes()
    result, errors = dumped(PhotoOutput, {"image": data})
    assert errors is None and base64.b64decode(result["image"]) == data


def test_encoded_bytes_with_exif_are_re_encoded_upright_without_it():
    field = Image(formats=("jpeg",))
    output = PILImage.open(io.BytesIO(field.encode(jpeg_with_exif(orientation=6))))
    assert output.format == "JPEG" and output.size == (20, 40) and dict(output.getexif()) == {}


def test_png_bytes_with_an_exif_chunk_are_re_encoded_without_it():
    exif = PILImage.Exif()
    exif[0x010F] = "Camera maker"
    data = png_bytes(exif=exif.tobytes())
    assert dict(PILImage.open(io.BytesIO(data)).getexif())  # the chunk is there to strip
    output = PILImage.open(io.BytesIO(Image(formats=("png",)).encode(data)))
    assert output.format == "PNG" and dict(output.getexif()) == {}
    assert output.convert("RGB").tobytes() == half_red_half_blue().tobytes()


@pytest.mark.parametrize("value, message", [
    (encode(half_red_half_blue(), "JPEG"), "Not a PNG image."),
    (b"not an image", "Not a PNG image."),
    ("aGVsbG8=", "Expected a PIL image or encoded bytes, got str."),
    (PILImage.new("RGB", (6000, 6000)), "Image is 36000000 pixels; at most 25000000 allowed."),
])
def test_a_bad_image_output_is_a_field_error_naming_the_field(value, message):
    assert dumped(PhotoOutput, {"image": value}) == (None, {"image": [message]})


def test_an_image_that_the_format_cannot_hold_is_a_field_error():
    field = Image(formats=("jpeg",))
    with pytest.raises(ValidationError, match="Cannot encode a RGBA image as JPEG"):
        field.encode(PILImage.new("RGBA", (4, 4)))


def test_a_file_output_must_be_bytes_of_its_type_within_its_size():
    class ReportOutput(Schema):
        report = File(media_types=("application/pdf",), max_bytes=20)

    assert dumped(ReportOutput, {"report": b"%PDF-1.7"}) == ({"report": b64(b"%PDF-1.7")}, None)
    assert dumped(ReportOutput, {"report": "%PDF"}) == (None, {"report": ["Expected bytes, got str."]})
    assert dumped(ReportOutput, {"report": b"plain"}) == (None, {"report": [
        "Not an application/pdf file."]})
    assert dumped(ReportOutput, {"report": b"%PDF" + bytes(20)}) == (None, {"report": [
        "File is 24 bytes; at most 20 allowed."]})


def test_the_media_type_of_an_output_is_read_from_its_bytes():
    field = Image(formats=("png", "jpeg"))
    assert field.media_type_of(field.encode(half_red_half_blue())) == "image/png"
    assert field.media_type_of(encode(half_red_half_blue(), "JPEG")) == "image/jpeg"
    assert File(media_types=("application/pdf", "text/plain")).media_type_of(b"hi") == "text/plain"


# ------------------------------------------------------------------------------------------------
# The published JSON Schema and the validator


def test_an_image_field_is_published_as_a_base64_string_with_its_limits():
    schema = to_json_schema(PhotoInput)
    Draft202012Validator.check_schema(schema)
    assert schema["properties"]["photo"] == {
        "description": "A photo.",
        "type": "string",
        "contentEncoding": "base64",
        "contentMediaType": "image/*",
        "maxLength": 10_666_668 + 256,
        "x-mediaTypes": ["image/png", "image/jpeg"],
        "x-formats": ["png", "jpeg"],
        "x-maxBytes": 8_000_000,
        "x-maxPixels": 25_000_000,
    }
    assert schema["properties"]["notes"]["contentMediaType"] == "text/plain"
    assert schema["required"] == ["photo"]


def test_the_content_media_type_names_one_type_a_family_or_any_bytes():
    assert Image(formats=("png",)).json_schema()["contentMediaType"] == "image/png"
    assert File(media_types=("text/plain", "application/pdf")).content_media_type == \
        "application/octet-stream"


def test_a_nullable_media_field_is_a_string_or_null():
    assert Image(allow_none=True).json_schema()["type"] == ["string", "null"]


def test_people_read_a_description_from_the_field_or_its_json_schema():
    photo_schema = to_json_schema(PhotoInput)["properties"]["photo"]
    assert describe_json_schema(photo_schema) == "image (PNG or JPEG, up to 8 MB)"
    assert PhotoInput._declared_fields["notes"].describe() == "file (text/plain, up to 100 kB)"
    assert File().describe() == "file (any type, up to 8 MB)"
    assert Image(formats=("png", "jpeg", "webp"), max_bytes=1_500_000).describe() == \
        "image (PNG, JPEG or WEBP, up to 1.5 MB)"
    assert describe_json_schema({"type": "string"}) is None


def test_media_fields_are_found_by_their_wire_names():
    class Renamed(Schema):
        picture = Image(data_key="photo")
        count = fields.Integer()

    assert list(media_fields(Renamed)) == ["photo"] and is_media_field(Renamed().fields["picture"])
    assert not is_media_field(Renamed().fields["count"])


def test_a_raw_body_fills_the_only_media_input_when_nothing_else_is_required():
    class Optional(Schema):
        photo = Image(required=True)
        threshold = fields.Integer()

    class TwoImages(Schema):
        left, right = Image(), Image()

    class AlsoRequired(Schema):
        photo = Image()
        threshold = fields.Integer(required=True)

    class OnlyOptional(Schema):
        photo = Image()
        threshold = fields.Integer()

    class TwoRequired(Schema):
        left, right = Image(required=True), Image(required=True)

    name, field = raw_body_field(Optional)
    assert name == "photo" and isinstance(field, Image)
    assert raw_body_field(OnlyOptional)[0] == "photo"
    assert raw_body_field(TwoImages) is None and raw_body_field(AlsoRequired) is None
    assert raw_body_field(TwoRequired) is None


def test_a_raw_body_fills_the_one_required_media_input_beside_optional_files():
    name, field = raw_body_field(PhotoInput)  # DESIGN's: photo required, notes an optional File
    assert name == "photo" and isinstance(field, Image)


def test_a_raw_response_carries_the_only_media_output():
    class Annotated(Schema):
        image = Image(formats=("png",))
        faces = fields.Integer()

    assert raw_response_field(Annotated)[0] == "image"
    assert raw_response_field(PhotoInput) is None  # two media fields
    assert raw_response_field(Schema.from_dict({"n": fields.Integer()})) is None


def test_the_declared_type_of_a_part_or_body_is_checked_against_the_field(photo):
    assert photo.accepts_media_type("image/jpeg") and photo.accepts_media_type("IMAGE/PNG; q=1")
    assert photo.accepts_media_type("application/octet-stream")  # undeclared: content decides
    assert not photo.accepts_media_type("image/gif")
    assert File(media_types=("text/*",)).accepts_media_type("text/csv")


def test_a_schema_with_a_media_field_takes_marshmallow_not_the_fast_path(validator):
    assert compile_plan(PhotoInput()) is None and validator.plan is None


def test_the_validator_loads_base64_data_uris_and_multipart_bytes_alike(validator):
    for photo in (b64(png_bytes()), "data:image/png;base64," + b64(png_bytes()), png_bytes()):
        loaded, errors = validator.load({"photo": photo, "notes": b"hello", "threshold": 3})
        assert errors is None and loaded["photo"].size == (40, 20) and loaded["notes"] == b"hello"


def test_the_validator_reports_json_and_media_errors_by_field(validator):
    _, errors = validator.load({"photo": SVG, "threshold": "3"})
    assert errors == {"threshold": ["Not a valid value: expected an integer, got a string."]}
    _, errors = validator.load({"photo": SVG, "threshold": 3})
    assert errors == {"photo": ["Not a PNG or JPEG image."]}


def test_a_base64_string_longer_than_the_limit_is_refused_by_the_json_check_in_bytes(validator):
    _, errors = validator.load({"photo": "A" * 12_000_000})
    assert errors == {"photo": ["Image is 9000000 bytes; at most 8000000 allowed."]}


def test_content_keywords_are_left_out_of_the_asserting_schema_only():
    schema = to_json_schema(PhotoInput)
    stripped = without_content_assertions(schema)
    assert "contentEncoding" not in stripped["properties"]["photo"]
    assert schema["properties"]["photo"]["contentEncoding"] == "base64"


# ------------------------------------------------------------------------------------------------
# Import cost


def _imports_after(code):
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               cwd=REPO, check=True)
    return set(completed.stdout.split())


def test_the_media_module_imports_neither_the_web_stack_nor_pillow():
    # Loaded on its own: the package's __init__ builds the web app (until the restructuring).
    loaded = _imports_after(
        "import importlib.util, sys\n"
        "spec = importlib.util.spec_from_file_location('media', 'model_service/media.py')\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "print(*sys.modules)")
    assert {"marshmallow"} <= loaded
    assert not loaded & {"flask", "werkzeug", "PIL", "PIL.Image", "gunicorn"}


def test_importing_model_service_media_does_not_import_flask():
    loaded = _imports_after("import sys, model_service.media; print(*sys.modules)")
    assert not loaded & {"flask", "werkzeug", "PIL"}
