"""A prediction as rows of a table, for the prediction page."""
from __future__ import annotations

from typing import Any

from ..core.values import json_text


def result_rows(value: Any, path: str = "") -> list[tuple[str, str]]:
    """Flatten a prediction into ``(field path, text)`` rows for a table.

    Objects are opened up (``probabilities.setosa``); lists and scalars are shown as JSON
    text (strings as they are). The page's script renders the same rows in the browser.
    """
    if isinstance(value, dict) and value:
        rows = []
        for key, item in value.items():
            rows += result_rows(item, f"{path}.{key}" if path else str(key))
        return rows
    return [(path or "result", json_text(value))]
