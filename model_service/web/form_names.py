"""Input names and ids of the generated form.

Input names are the property path joined with ``.`` (``address.city``, ``tags.0``); a ``~`` or
``.`` inside a property name is escaped as ``~0`` / ``~1`` (as in JSON Pointer), so every path
has exactly one name.
"""
from __future__ import annotations

import re
from typing import Iterable
from urllib.parse import quote

_ROW_NUMBER = re.compile(r"^[0-9]{1,6}$")


def child_name(parent: str, key: str | int) -> str:
    """The input name of property ``key`` (or row ``key``) below the input named ``parent``."""
    segment = str(key).replace("~", "~0").replace(".", "~1")
    return f"{parent}.{segment}" if parent else segment


def input_id(name: str) -> str:
    """An HTML id for the input ``name``: unique per name, without spaces."""
    return "f-" + quote(name, safe="")


def row_indices(name: str, keys: Iterable[str]) -> list[int]:
    """Row numbers of the array ``name`` that appear among posted (or default) input names."""
    prefix = name + "." if name else ""
    found = set()
    for key in keys:
        if key.startswith(prefix):
            head = key[len(prefix):].split(".", 1)[0]
            if _ROW_NUMBER.match(head):
                found.add(int(head))
    return sorted(found)
