"""The lyrics generator as an ``MLModel``: a seed text in, the seed continued as verse out.

Importing this module is cheap (the contract and marshmallow only); numpy and the count tables
load when the model is instantiated.
"""
from __future__ import annotations

import functools
import secrets
from pathlib import Path

from marshmallow import Schema, fields, validate

from model_service import MLModel

ARTIFACT_DIR = Path(__file__).resolve().parent / "artifacts"
DEFAULT_ARTIFACT = ARTIFACT_DIR / "lyrics_ngram.npz"
MAX_SEED = 2 ** 32 - 1
DEFAULT_LENGTH = 200
DEFAULT_TEMPERATURE = 0.8


@functools.lru_cache(maxsize=None)
def _load_tables(path: str):
    """Load the count tables once per process: models hosted under several names share them."""
    from .ngram import CharNgramModel

    return CharNgramModel.load(path)


class LyricsInput(Schema):
    """A seed to continue, and how to continue it."""

    seed = fields.String(
        required=True, validate=validate.Length(min=1, max=500),
        metadata={"description": "The opening words; the lyrics continue them, character by "
                                 "character (the last 7 characters steer what comes next).",
                  "example": "Shall I compare thee"},
    )
    length = fields.Integer(
        load_default=DEFAULT_LENGTH, validate=validate.Range(min=1, max=2000),
        metadata={"description": "How many characters to add after the seed."},
    )
    temperature = fields.Float(
        load_default=DEFAULT_TEMPERATURE, validate=validate.Range(min=0.2, max=1.5),
        metadata={"description": "Below 1: safer, more repetitive text; above 1: more surprising "
                                 "and more misspelt."},
    )
    random_seed = fields.Integer(
        validate=validate.Range(min=0, max=MAX_SEED),
        metadata={"description": "Makes the text repeatable: the same input with the same "
                                 "random seed gives the same lyrics. Chosen at random when left out."},
    )


class LyricsOutput(Schema):
    lyrics = fields.String(required=True,
                           metadata={"description": "The seed followed by the generated text."})
    random_seed = fields.Integer(
        required=True, validate=validate.Range(min=0, max=MAX_SEED),
        metadata={"description": "The random seed used: send it with the same input to get the "
                                 "same lyrics again."},
    )


class LyricsModel(MLModel):
    qualified_name = "lyrics"
    display_name = "Lyrics Generator"
    description = ("Continues a seed text as verse, one character at a time, with a character "
                   "8-gram model trained on public-domain poems: Shakespeare's sonnets, Paradise "
                   "Lost, Hopkins, Byron, Browning, Whitman and the early Yeats.")
    version = "1.0.0"
    input_schema = LyricsInput
    output_schema = LyricsOutput
    examples = [
        {"seed": "Shall I compare thee", "length": 200, "temperature": 0.8, "random_seed": 7},
        {"seed": "The sea", "length": 120},
        {"seed": "O Rose, thou art", "length": 300, "temperature": 0.6, "random_seed": 2024},
    ]

    def __init__(self, artifact: str | None = None, **configuration) -> None:
        super().__init__(artifact=artifact, **configuration)
        import numpy

        self.tables = _load_tables(str(Path(artifact or DEFAULT_ARTIFACT).resolve()))
        self._random = numpy.random.default_rng

    def predict(self, data: dict) -> dict:
        random_seed = data.get("random_seed")
        if random_seed is None:
            random_seed = secrets.randbits(32)
        lyrics = self.tables.generate(
            data["seed"], data.get("length", DEFAULT_LENGTH),
            data.get("temperature", DEFAULT_TEMPERATURE), self._random(random_seed),
        )
        return {"lyrics": lyrics, "random_seed": random_seed}
