"""The catalog's cards: models in name order, what each takes and gives at a glance, the filter.

``at_a_glance`` sums up a model's schemas for people: ``4 numbers → species and
probabilities``. ``matches`` is the filter's rule; the page's script (``static/js/catalog.js``)
applies the same rule to the text the server puts in each card's ``data-search``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ..core.registry import HostedModel
from .schema_view import SchemaField, build_tree

# What one input is called, by kind of field (singular, plural).
_KIND_WORDS = {
    "number": ("number", "numbers"),
    "integer": ("number", "numbers"),
    "string": ("text", "texts"),
    "long text": ("long text", "long texts"),
    "enum": ("choice", "choices"),
    "boolean": ("yes/no", "yes/nos"),
    "array": ("list", "lists"),
    "object": ("group of fields", "groups of fields"),
    "json": ("JSON value", "JSON values"),
}
MAX_OUTPUT_NAMES = 3  # more output fields are counted, not named
ARROW = "→"


@dataclass
class Card:
    """One model as the catalog shows it."""

    hosted: HostedModel
    glance: str  # "4 numbers → species and probabilities"; "" when the schemas are unknown

    @property
    def search_text(self) -> str:
        """The lower-case text the filter looks in: names, description and the glance."""
        hosted = self.hosted
        return " ".join((hosted.display_name, hosted.name, hosted.description,
                         self.glance)).lower()


def catalog_cards(models: Iterable[HostedModel]) -> list[Card]:
    """The catalog's cards, sorted by display name (then qualified name), case ignored."""
    ordered = sorted(models, key=lambda hosted: (hosted.display_name.casefold(), hosted.name))
    return [Card(hosted, at_a_glance(hosted)) for hosted in ordered]


def matches(card: Card, query: str) -> bool:
    """Whether a card matches the filter: every word of the query appears in its text."""
    text = card.search_text
    return all(word in text for word in query.lower().split())


def at_a_glance(hosted: HostedModel) -> str:
    """``4 numbers → species and probabilities``: a model's input and output in a few words."""
    if hosted.input_validator is None or hosted.output_validator is None:
        return ""
    inputs = build_tree(hosted.input_validator.json_schema)
    outputs = build_tree(hosted.output_validator.json_schema)
    return f"{input_words(inputs)} {ARROW} {output_words(outputs)}"


def input_words(tree: SchemaField) -> str:
    """Count the inputs by kind, in the order they first appear: ``2 numbers and a choice``."""
    counts: dict[tuple[str, str], int] = {}  # by words: integers and numbers count together
    for child in tree.children:
        kind = "long text" if child.kind == "string" and child.multiline else child.kind
        words = _KIND_WORDS.get(kind, _KIND_WORDS["json"])
        counts[words] = counts.get(words, 0) + 1
    if not counts:
        return "nothing"
    parts = []
    for (singular, plural), count in counts.items():
        parts.append(f"{_article(singular)} {singular}" if count == 1 else f"{count} {plural}")
    return _join(parts)


def output_words(tree: SchemaField) -> str:
    """Name the outputs: ``species and probabilities``; beyond three, ``… and 2 more``."""
    names = [_lower_first(child.label) for child in tree.children]
    if not names:
        return "nothing"
    if len(names) > MAX_OUTPUT_NAMES:
        shown = names[:MAX_OUTPUT_NAMES - 1]
        return _join(shown + [f"{len(names) - len(shown)} more"])
    return _join(names)


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _lower_first(label: str) -> str:
    # "Species" -> "species", but "ID" and "HTTPCode" keep their capitals.
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
