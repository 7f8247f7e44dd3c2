"""Face -> emoji as an ``MLModel``: a photo in, the photo with an emoji over each face out (PNG)."""
from __future__ import annotations

import base64
from pathlib import Path

from marshmallow import Schema, fields, validate

from model_service import MLModel
from model_service.media import Image

from .emoji import CHOICES
from .pipeline import OUTPUT_SIDE, emojify

EXAMPLE_PHOTO = Path(__file__).resolve().parent / "samples" / "astronaut.jpg"
# 7 MB of photo is 9.3 MB as base64 in JSON, inside the service's 10 MiB body limit, so the same
# photos are accepted whichever way they are sent. 25 MP covers phone cameras (12-24 MP).
MAX_BYTES = 7_000_000
MAX_PIXELS = 25_000_000


class FaceEmojiInput(Schema):
    """A photo, and which emoji to paste over the faces in it."""

    photo = Image(
        required=True, formats=("jpeg", "png"), max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS,
        metadata={"description": "A photo with people facing the camera (JPEG or PNG)."},
    )
    emoji = fields.String(
        load_default="smile", validate=validate.OneOf(CHOICES),
        metadata={"description": "The emoji to paste; \"mixed\" gives each face the next one."},
    )


class FaceBox(Schema):
    """Where a face was found, in pixels of the returned picture."""

    x = fields.Integer(required=True, validate=validate.Range(min=0),
                       metadata={"description": "Left edge, in pixels."})
    y = fields.Integer(required=True, validate=validate.Range(min=0),
                       metadata={"description": "Top edge, in pixels."})
    width = fields.Integer(required=True, validate=validate.Range(min=1))
    height = fields.Integer(required=True, validate=validate.Range(min=1))


class FaceEmojiOutput(Schema):
    # A 2048 px RGBA PNG of pure noise is 16.8 MB: the limit holds for any photo.
    image = Image(required=True, formats=("png",), max_bytes=20_000_000,
                  max_pixels=OUTPUT_SIDE * OUTPUT_SIDE,
                  metadata={"description": "The photo with an emoji over each face, as a PNG "
                                           f"at most {OUTPUT_SIDE} px on its long side."})
    faces = fields.Integer(required=True, validate=validate.Range(min=0),
                           metadata={"description": "How many faces were found."})
    boxes = fields.List(fields.Nested(FaceBox), required=True,
                        metadata={"description": "Each face found, left to right."})


def _data_uri(path: Path) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


class FaceEmojiModel(MLModel):
    qualified_name = "face_emoji"
    display_name = "Face Emoji"
    description = ("Finds the faces in a photo (OpenCV's Haar cascade) and pastes an emoji over "
                   "each one: smile, wink, heart eyes or sunglasses.")
    version = "1.0.0"
    input_schema = FaceEmojiInput
    output_schema = FaceEmojiOutput
    examples = [{"photo": _data_uri(EXAMPLE_PHOTO), "emoji": "sunglasses"}]

    def predict(self, data: dict) -> dict:
        result = emojify(data["photo"], data.get("emoji", "smile"))
        return {
            "image": result.image,
            "faces": len(result.faces),
            "boxes": [face.as_dict() for face in result.faces],
        }
