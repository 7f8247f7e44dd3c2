"""A character n-gram language model with interpolated Kneser-Ney back-off, held in numpy arrays.

The probability of the next character mixes every context length the model knows, from the
longest seen one down to a uniform floor: ``P(c | abc) = (n(abc, c) - D) / n(abc) + g(abc) *
P(c | bc)``, where ``g(abc) = D * (distinct followers of abc) / n(abc)`` is the mass the discount
``D`` set aside. Lower orders count how many different contexts a pair follows rather than how
often it occurs (Kneser and Ney's continuation counts), so a frequent pair that only ever follows
one word does not look likely everywhere.

All contexts of every length live in one sorted ``int64`` key array (key = length * base^(order-1)
+ the context's characters as base-``base`` digits, oldest first), so finding every context of a
history is one ``searchsorted``. A context that is present implies its suffixes are too, so the
matches form a prefix of the lengths.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

FORMAT_VERSION = 1


class CharNgramModel:
    """Count tables of an order-``order`` character model; fit once, then generate or score text."""

    def __init__(self, alphabet: str, order: int, discount: float, keys: np.ndarray,
                 widths: np.ndarray, chars: np.ndarray, counts: np.ndarray) -> None:
        self.alphabet = alphabet
        self.order = int(order)
        self.discount = float(discount)
        self.base = len(alphabet) + 1  # the last id stands for a character the corpus never had
        self.unknown = len(alphabet)
        self.stride = self.base ** (self.order - 1)
        self._ids = {character: index for index, character in enumerate(alphabet)}
        self.keys = keys.astype(np.int64)
        self.widths = widths.astype(np.int64)
        self.chars = chars.astype(np.intp)
        self.counts = counts.astype(np.int64)
        self.offsets = np.concatenate(([0], np.cumsum(self.widths)))
        totals = np.add.reduceat(self.counts, self.offsets[:-1]).astype(np.float64)
        # Each pair's discounted share, and each context's set-aside mass: fixed, so computed here.
        self.shares = (self.counts - self.discount) / np.repeat(totals, self.widths)
        self.backoff = self.discount * self.widths / totals

    # fitting

    @classmethod
    def fit(cls, text: str, order: int = 8, discount: float = 0.8,
            min_context_count: int = 2) -> "CharNgramModel":
        """Count ``text``'s n-grams up to ``order`` characters (``order - 1`` of context).

        Contexts seen fewer than ``min_context_count`` times are dropped: a context seen once only
        ever repeats the corpus, and dropping them halves the saved tables at order 8 for 0.005
        bits per character on held-out text.
        """
        alphabet = "".join(sorted(set(text)))
        base = len(alphabet) + 1
        if order < 1 or order * base ** order >= 2 ** 62:
            raise ValueError(f"order {order} does not fit 64-bit keys with {base - 1} characters")
        lookup = {character: index for index, character in enumerate(alphabet)}
        ids = np.fromiter((lookup[c] for c in text), dtype=np.int64, count=len(text))
        stride = base ** (order - 1)

        grams, gram_counts = [], []  # grams[k]: unique (k + 1)-grams as keys, oldest char first
        for length in range(1, order + 1):
            key = np.zeros(len(ids) - length + 1, dtype=np.int64)
            for position in range(length):
                key = key * base + ids[position:len(ids) - length + 1 + position]
            unique, count = np.unique(key, return_counts=True)
            grams.append(unique)
            gram_counts.append(count)

        all_keys, all_widths, all_chars, all_counts = [], [], [], []
        for context_length in range(order):
            if context_length == order - 1:
                pairs, counts = grams[context_length], gram_counts[context_length]
            else:  # continuation counts: how many distinct characters precede each pair
                pairs, counts = np.unique(grams[context_length + 1] % base ** (context_length + 1),
                                          return_counts=True)
            contexts, chars = pairs // base, pairs % base
            if context_length:
                # Prune on how often the context itself occurs, so that a kept context's
                # suffixes are always kept too (the prefix property generation relies on).
                raw_pairs, raw_counts = grams[context_length], gram_counts[context_length]
                raw_contexts, first = np.unique(raw_pairs // base, return_index=True)
                seen = np.add.reduceat(raw_counts, first)
                frequent = raw_contexts[seen >= min_context_count]
                keep = np.isin(contexts, frequent)
                contexts, chars, counts = contexts[keep], chars[keep], counts[keep]
            unique_contexts, widths = np.unique(contexts, return_counts=True)
            all_keys.append(unique_contexts + context_length * stride)
            all_widths.append(widths)
            all_chars.append(chars)
            all_counts.append(counts)
        return cls(alphabet, order, discount, np.concatenate(all_keys), np.concatenate(all_widths),
                   np.concatenate(all_chars), np.concatenate(all_counts))

    # persistence

    def save(self, path: Path) -> None:
        """Write the count tables with ``numpy.savez_compressed`` (no pickle: loading runs no code)."""
        with open(path, "wb") as file:  # a file object: numpy would append ".npz" to a bare name
            self._save(file)

    def _save(self, file) -> None:
        np.savez_compressed(
            file, format_version=FORMAT_VERSION, alphabet=np.array(self.alphabet),
            order=self.order, discount=self.discount,
            # Gaps between sorted keys compress better than the keys (1.35 MB instead of 1.47).
            key_gaps=np.diff(self.keys, prepend=0), widths=self.widths.astype(np.uint32),
            chars=self.chars.astype(np.uint8), counts=self.counts.astype(np.uint32),
        )

    @classmethod
    def load(cls, path: Path | str) -> "CharNgramModel":
        """Read tables written by ``save``."""
        with np.load(path, allow_pickle=False) as data:
            if int(data["format_version"]) != FORMAT_VERSION:
                raise ValueError(f"{path}: format {int(data['format_version'])}, "
                                 f"expected {FORMAT_VERSION}")
            return cls(str(data["alphabet"]), int(data["order"]), float(data["discount"]),
                       np.cumsum(data["key_gaps"]), data["widths"], data["chars"], data["counts"])

    # prediction

    def encode(self, text: str) -> list[int]:
        """Map characters to ids; a character the corpus never had becomes ``unknown``."""
        ids, unknown = self._ids, self.unknown
        return [ids.get(character, unknown) for character in text]

    def _context_rows(self, history: list[int]) -> np.ndarray:
        """Return the table rows of the history's known contexts, shortest (empty) first."""
        wanted, key, scale, base, stride = [0], 0, 1, self.base, self.stride
        for length in range(1, min(self.order - 1, len(history)) + 1):
            character = history[-length]
            if character == self.unknown:
                break
            key += character * scale
            scale *= base
            wanted.append(length * stride + key)
        wanted.append(-1)  # matches nothing: the first mismatch below always exists
        wanted = np.array(wanted)
        rows = self.keys.searchsorted(wanted)
        np.minimum(rows, len(self.keys) - 1, out=rows)
        # Contexts are nested (a known context's suffixes are known): keep the leading matches.
        return rows[:(self.keys[rows] == wanted).argmin()]

    def distribution(self, history: list[int]) -> np.ndarray:
        """Return the probability of each alphabet character following ``history`` (ids)."""
        rows = self._context_rows(history)
        backoff = self.backoff[rows]
        # The longest context keeps weight 1; each shorter one gets what the longer set aside.
        weights = np.ones(len(rows))
        weights[:-1] = np.cumprod(backoff[:0:-1])[::-1]
        # Gather every row's pairs in one go (a Python loop over the rows took 30% longer).
        starts = self.offsets[rows]
        widths = self.widths[rows]
        pairs = np.arange(widths.sum()) + np.repeat(starts - (np.cumsum(widths) - widths), widths)
        probabilities = np.bincount(self.chars[pairs],
                                    weights=np.repeat(weights, widths) * self.shares[pairs],
                                    minlength=len(self.alphabet))
        probabilities += weights[0] * backoff[0] / len(self.alphabet)  # the uniform floor
        return probabilities

    def generate(self, seed: str, length: int, temperature: float,
                 rng: np.random.Generator) -> str:
        """Return ``seed`` followed by ``length`` sampled characters.

        ``temperature`` below 1 sharpens the distribution (safer, more repetitive text), above 1
        flattens it (more surprising, more misspelt).
        """
        history = self.encode(seed)[-(self.order - 1):] if self.order > 1 else []
        draws = rng.random(length).tolist()
        alphabet, exponent, out = self.alphabet, 1.0 / temperature, []
        last = len(alphabet) - 1
        for draw in draws:
            probabilities = self.distribution(history)
            if exponent != 1.0:
                probabilities **= exponent
            cumulative = np.cumsum(probabilities)
            index = min(int(np.searchsorted(cumulative, draw * cumulative[-1], side="right")), last)
            out.append(alphabet[index])
            history.append(index)
            if len(history) >= self.order:
                del history[0]
        return seed + "".join(out)

    def bits_per_character(self, text: str) -> float:
        """Return the average surprise of ``text`` under the model, in bits (lower is better)."""
        ids = self.encode(text)
        context = self.order - 1
        total, scored = 0.0, 0
        for position in range(1, len(ids)):
            if ids[position] == self.unknown:
                continue
            probabilities = self.distribution(ids[max(0, position - context):position])
            total -= float(np.log2(probabilities[ids[position]]))
            scored += 1
        return total / max(scored, 1)
