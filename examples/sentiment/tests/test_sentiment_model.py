"""The sentiment model: its features, its data readers, its contract, and how the service hosts it."""
from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
import time
from importlib.metadata import entry_points

import numpy as np
import pytest

from sentiment_model import SentimentInput, SentimentModel, SentimentOutput
from sentiment_model.data import (SDIST_NAME, _constants, check_sdist, parse_lexicon,
                                  parse_ratings)
from sentiment_model.features import LexiconScorer, NegationMarker
from sentiment_model.model import DEFAULT_ARTIFACT, NUMBER_MESSAGE

EXPECTED_EXAMPLE_SENTIMENTS = ["positive", "negative", "negative", "positive"]


@pytest.fixture(scope="module")
def scorer(model) -> LexiconScorer:
    """The lexicon scorer inside the saved pipeline, with VADER's lexicon and word lists."""
    return dict(model.pipeline.named_steps["features"].transformer_list)["lexicon"]


# features


def test_negation_marks_every_word_to_the_end_of_the_clause():
    marker = NegationMarker(frozenset({"not"}))
    assert marker("This is NOT a good film, but fun.") == (
        "this is not not_a not_good not_film , but fun .")


def test_contractions_ending_in_nt_negate_too():
    assert NegationMarker(frozenset())("It isn't bad") == "it isn't not_bad"


@pytest.mark.parametrize(("text", "vader_compound"), [
    # VADER's own examples and the compound scores its README gives for them.
    ("VADER is smart, handsome, and funny.", 0.8316),
    ("VADER is not smart, handsome, nor funny.", -0.7424),
    ("The book was good.", 0.4404),
    ("Today SUX!", -0.5461),
    ("", 0.0),
])
def test_the_lexicon_score_matches_vader_on_its_own_examples(scorer, text, vader_compound):
    assert scorer.score(text) == pytest.approx(vader_compound, abs=1e-4)


def test_boosters_strengthen_and_but_shifts_the_weight_to_what_follows():
    scorer = LexiconScorer({"good": 1.9, "bad": -2.5}, frozenset({"not"}), {"very": 0.293})
    assert scorer.score("very good") > scorer.score("good") > 0
    assert scorer.score("not good") < 0
    assert scorer.score("good but bad") < scorer.score("bad but good")
    assert scorer.transform(["good", "bad"]).shape == (2, 1)


# data readers


def test_ratings_are_parsed_and_neutral_snippets_left_out():
    text = "1\t2.5\tA fine film.\r\n2\t0.0\tA film.\r\n3\t-1.2\tA dull\tfilm.\r\n"
    snippets = parse_ratings(text)
    assert [(s.text, s.rating, s.positive) for s in snippets] == [
        ("A fine film.", 2.5, True), ("A dull\tfilm.", -1.2, False)]


def test_the_lexicon_keeps_each_tokens_mean_valence():
    assert parse_lexicon("good\t1.9\t0.9434\t[2, 1]\n:(\t-1.9\t1.1\t[-2]\n") == {
        "good": 1.9, ":(": -1.9}


def test_constants_are_read_from_source_without_running_it():
    source = ("import os\nB_INCR = 0.293\nB_DECR = -0.293\nNEGATE = ['not', 'never']\n"
              "BOOSTER_DICT = {'very': B_INCR, 'barely': B_DECR}\nPATH = os.getcwd()\n")
    constants = _constants(source)
    assert constants["NEGATE"] == ["not", "never"]
    assert constants["BOOSTER_DICT"] == {"very": 0.293, "barely": -0.293}
    assert "PATH" not in constants


def test_an_archive_that_is_not_the_measured_sdist_is_refused(tmp_path):
    sdist = tmp_path / SDIST_NAME
    with tarfile.open(sdist, "w:gz") as archive:
        archive.addfile(tarfile.TarInfo("empty"), io.BytesIO(b""))
    with pytest.raises(ValueError, match="SHA-256"):
        check_sdist(sdist)


# the model


def test_the_examples_get_the_sentiment_a_person_would_give(model):
    results = [model.predict(SentimentInput().load(example)) for example in model.examples]
    assert [result["sentiment"] for result in results] == EXPECTED_EXAMPLE_SENTIMENTS


def test_negation_turns_a_positive_review_negative(model):
    assert model.predict({"text": "The acting is good."})["sentiment"] == "positive"
    assert model.predict({"text": "The acting is not good."})["sentiment"] == "negative"


def test_the_score_agrees_with_the_sentiment(model):
    for text in ("Loved it.", "Hated it.", "It was a film.", "Not bad at all!"):
        result = model.predict({"text": text})
        assert 0 <= result["score"] <= 100
        assert (result["score"] >= 50) == (result["sentiment"] == "positive")


def test_ref_is_echoed_only_when_sent(model):
    assert model.predict({"text": "Loved it.", "ref": "a-17"})["ref"] == "a-17"
    assert "ref" not in model.predict({"text": "Loved it."})


def test_predict_batch_equals_predict(model):
    items = [SentimentInput().load(example) for example in model.examples]
    items += [{"text": "Nothing to say about it", "ref": str(n)} for n in range(3)]
    assert model.predict_batch(items) == [model.predict(item) for item in items]


def test_outputs_are_valid_against_the_output_schema(model):
    for example in model.examples:
        assert SentimentOutput().validate(model.predict(SentimentInput().load(example))) == {}


def test_held_out_accuracy_beats_the_plain_model_and_vader_alone():
    metrics = json.loads(DEFAULT_ARTIFACT.with_suffix(".json").read_text())["held_out_accuracy"]
    for domain in ("movies", "products"):
        assert metrics["model"][domain] > 0.79
        assert metrics["model"][domain] > metrics["plain_tfidf_logistic_regression"][domain]
        assert metrics["model"][domain] > metrics["vader_analyzer"][domain] + 0.1


def test_one_review_is_scored_in_a_few_milliseconds(model):
    data = {"text": "The plot is not interesting and the acting is worse."}
    model.predict(data)
    timings = []
    for _ in range(30):
        started = time.process_time()  # CPU time: the machine may be busy with others
        model.predict(data)
        timings.append(time.process_time() - started)
    assert float(np.median(timings)) < 0.02


# the input schema


@pytest.mark.parametrize("text", ["1234", " 42 ", "-3.5e4", "1,000,000", "12 345", "99.5%"])
def test_a_bare_number_is_not_a_review(text):
    assert SentimentInput().validate({"text": text}) == {"text": [NUMBER_MESSAGE]}


@pytest.mark.parametrize("text", ["10/10 would watch again", "5 stars", "2001: A Space Odyssey"])
def test_text_with_numbers_in_it_is_a_review(text):
    assert SentimentInput().validate({"text": text}) == {}


def test_text_is_measured_once_surrounding_spaces_are_trimmed():
    errors = SentimentInput().validate({"text": "   ok   "})
    assert errors == {"text": ["Shorter than minimum length 4 once surrounding spaces are trimmed."]}


# packaging and import cost


def test_the_package_declares_its_model_entry_point():
    (entry_point,) = [e for e in entry_points(group="model_service.models") if e.name == "sentiment"]
    assert entry_point.load() is SentimentModel
    assert SentimentModel.qualified_name == entry_point.name


def test_the_artifact_ships_in_the_package_and_is_small():
    assert DEFAULT_ARTIFACT.is_file()
    assert DEFAULT_ARTIFACT.stat().st_size < 3_000_000


def test_importing_the_model_loads_only_the_contract_and_marshmallow():
    # Beyond the standard library, importing the package adds nothing: no scikit-learn, no numpy,
    # and nothing of the service's web stack (the contract import is cheap).
    script = ("import sys, model_service, marshmallow; before = set(sys.modules); "
              "import sentiment_model; print(sorted(m for m in set(sys.modules) - before "
              "if not m.startswith('sentiment_model') and m.split('.')[0] "
              "not in sys.stdlib_module_names))")
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert output == "[]"


# through the service


def test_every_example_is_answered_through_the_api(client):
    for example, expected in zip(SentimentModel.examples, EXPECTED_EXAMPLE_SENTIMENTS):
        response = client.post("/api/models/sentiment/predict", json=example)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["sentiment"] == expected


def test_a_batch_is_answered_in_order_with_refs(client):
    body = [{"text": "Loved every minute.", "ref": "a"}, {"text": "A waste of money.", "ref": "b"}]
    response = client.post("/api/models/sentiment/predict_batch", json=body)
    assert response.status_code == 200
    assert [(r["ref"], r["sentiment"]) for r in response.get_json()] == [
        ("a", "positive"), ("b", "negative")]


@pytest.mark.parametrize(("body", "message"), [
    ({"text": "1234"}, NUMBER_MESSAGE),
    ({"text": " 42 "}, NUMBER_MESSAGE),
    ({"text": "   ok   "}, "Shorter than minimum length 4 once surrounding spaces are trimmed."),
    ({"text": "ok"}, "Shorter than minimum length 4."),
    ({"text": 1234}, "Not a valid value: expected a string, got an integer."),
    ({}, "Missing data for required field."),
])
def test_bad_text_is_refused_with_a_422_naming_the_field(client, body, message):
    response = client.post("/api/models/sentiment/predict", json=body)
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"text": [message]}


def test_an_unknown_field_is_refused(client):
    response = client.post("/api/models/sentiment/predict",
                           json={"text": "Loved it.", "rating": 5})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"rating": ["Unknown field."]}
