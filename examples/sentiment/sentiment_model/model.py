"""The sentiment classifier as an ``MLModel``: a review in, positive or negative and a score out.

Importing this module is cheap (the contract and marshmallow only); scikit-learn and the saved
pipeline load when the model is instantiated.
"""
from __future__ import annotations

import functools
import logging
import re
import warnings
from pathlib import Path

from marshmallow import Schema, ValidationError, fields, validate

from model_service import MLModel

log = logging.getLogger(__name__)

ARTIFACT_DIR = Path(__file__).resolve().parent / "artifacts"
DEFAULT_ARTIFACT = ARTIFACT_DIR / "sentiment_pipeline.joblib"
SENTIMENTS = ("positive", "negative")
MIN_LENGTH, MAX_LENGTH = 4, 5000
NUMBER_MESSAGE = "A review cannot be a number."
# A bare number, as people type one: signs, digit groups, decimals, an exponent, a percent sign.
_NUMBER = re.compile(r"[-+]?(?:\d[\d,_ ]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?%?")


def validate_review(text: str) -> None:
    """Refuse text that cannot be a review: too short once trimmed, or only a number."""
    trimmed = text.strip()
    if _NUMBER.fullmatch(trimmed):  # first: " 42 " is better told it is a number than too short
        raise ValidationError(NUMBER_MESSAGE)
    if len(trimmed) < MIN_LENGTH:
        raise ValidationError(
            f"Shorter than minimum length {MIN_LENGTH} once surrounding spaces are trimmed.")


@functools.lru_cache(maxsize=None)
def _load_pipeline(path: str):
    """Load the pipeline once per process: models hosted under several names share it (read-only)."""
    import joblib

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pipeline = joblib.load(path)
    for warning in caught:
        # A pickle from another scikit-learn release still loads; say how to rebuild it.
        log.warning("%s (rebuild with: python -m sentiment_model.train)", warning.message)
    return pipeline


class SentimentInput(Schema):
    """One review (a sentence or a paragraph) and, optionally, your reference for it."""

    text = fields.String(
        required=True,
        validate=[validate.Length(min=MIN_LENGTH, max=MAX_LENGTH), validate_review],
        metadata={"description": "The review, in English: at least 4 characters besides "
                                 "surrounding spaces, not just a number.",
                  "example": "A gorgeous, witty, seductive movie."},
    )
    ref = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "Your reference for this review (an id); returned unchanged."},
    )


class SentimentOutput(Schema):
    sentiment = fields.String(required=True, validate=validate.OneOf(SENTIMENTS),
                              metadata={"description": "Whether the review is positive or negative."})
    score = fields.Float(
        required=True, validate=validate.Range(min=0, max=100),
        metadata={"description": "How positive the review is, 0 to 100: the model's probability "
                                 "that it is positive, in percent (50 or more is positive)."},
    )
    ref = fields.String(metadata={"description": "The reference sent with the review, if any."})


class SentimentModel(MLModel):
    qualified_name = "sentiment"
    display_name = "Review Sentiment"
    description = ("Tells whether an English review is positive or negative, with a 0-100 score. "
                   "TF-IDF word and character n-grams, negation marking and a VADER lexicon score, "
                   "in a logistic regression trained on movie and product review snippets rated by "
                   "people.")
    version = "1.0.0"
    input_schema = SentimentInput
    output_schema = SentimentOutput
    examples = [
        {"text": "A gorgeous, witty, seductive movie.", "ref": "review-1"},
        {"text": "The plot is not interesting and the acting is worse."},
        {"text": "Arrived broken and support never answered. Do not buy."},
        {"text": "Works great, easy to set up, and the battery lasts all week!"},
    ]

    def __init__(self, artifact: str | None = None, **configuration) -> None:
        super().__init__(artifact=artifact, **configuration)
        self.pipeline = _load_pipeline(str(Path(artifact or DEFAULT_ARTIFACT).resolve()))
        self._positive = list(self.pipeline.classes_).index(True)

    def predict(self, data: dict) -> dict:
        return self.predict_batch([data])[0]

    def predict_batch(self, items: list[dict]) -> list[dict]:
        probabilities = self.pipeline.predict_proba([item["text"] for item in items])
        results = []
        for item, positive in zip(items, probabilities[:, self._positive].tolist()):
            score = round(positive * 100, 1)  # the label follows the rounded score: 50.0 is positive
            result = {"sentiment": "positive" if score >= 50 else "negative", "score": score}
            if "ref" in item:
                result["ref"] = item["ref"]
            results.append(result)
        return results
