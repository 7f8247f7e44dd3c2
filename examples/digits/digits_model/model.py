"""The digit reader as an ``MLModel``: a picture of a digit in, the digit and probabilities out."""
from __future__ import annotations

import base64

from marshmallow import Schema, ValidationError, fields, validate, validates

from model_service import MLModel
from model_service.media import Image

from .preprocess import BlankImageError, grayscale, ink
from .reader import CLASS_NAMES, PACKAGE_DIR, DigitReader

EXAMPLE_PICTURE = PACKAGE_DIR / "samples" / "seven.png"
# 7 MB of picture is 9.3 MB as base64 in JSON, inside the service's 10 MiB body limit, so the
# same pictures are accepted whichever way they are sent.
MAX_BYTES = 7_000_000
MAX_PIXELS = 25_000_000


class DigitsInput(Schema):
    """One picture of one digit."""

    image = Image(
        required=True, formats=("png", "jpeg"), max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS,
        metadata={"description": "A picture of one handwritten digit, dark on light or light on "
                                 "dark, cropped loosely around it (PNG or JPEG)."},
    )

    @validates("image")
    def _has_ink(self, value, **kwargs) -> None:
        """Refuse a blank picture here, as the field's error, rather than guess a digit."""
        try:
            ink(grayscale(value))
        except BlankImageError as error:
            raise ValidationError(str(error).capitalize() + ".") from error


DigitProbabilities = Schema.from_dict(
    {name: fields.Float(required=True, validate=validate.Range(min=0, max=1),
                        metadata={"description": f"Probability that the digit is {name}."})
     for name in CLASS_NAMES},
    name="DigitProbabilities",
)


class DigitsOutput(Schema):
    digit = fields.Integer(required=True, validate=validate.Range(min=0, max=9),
                           metadata={"description": "The most probable digit."})
    probabilities = fields.Nested(DigitProbabilities, required=True,
                                  metadata={"description": "Probability of each digit, 0 to 9."})


def _data_uri(path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


class DigitsModel(MLModel):
    qualified_name = "digits"
    display_name = "Handwritten Digits"
    description = ("Reads one handwritten digit from a picture: the picture is brought to the "
                   "8×8 form of scikit-learn's digits data set and classified by a calibrated SVC.")
    version = "1.0.0"
    input_schema = DigitsInput
    output_schema = DigitsOutput
    examples = [{"image": _data_uri(EXAMPLE_PICTURE)}]

    def __init__(self, artifact: str | None = None, **configuration) -> None:
        super().__init__(artifact=artifact, **configuration)
        self.reader = DigitReader(artifact)

    def predict(self, data: dict) -> dict:
        return self.reader.read([data["image"]])[0]

    def predict_batch(self, items: list[dict]) -> list[dict]:
        return self.reader.read([item["image"] for item in items])
