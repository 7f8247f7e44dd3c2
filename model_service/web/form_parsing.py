"""Posted form data -> the JSON object an API client would send, typed by the schema.

``parse_form`` also maps each JSON location to the input it came from, so that validation
errors (``locate_errors``) land next to the right control.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..core.values import flatten_errors, text_to_value
from .form_binding import default_values
from .form_names import child_name, row_indices
from .schema_view import MISSING, SchemaField


@dataclass
class _Posted:
    form: Mapping[str, str]
    keys: list[str]
    defaults: dict[str, str]  # what the untouched form holds
    locations: dict[tuple, str]


def parse_form(tree: SchemaField, form: Mapping[str, str]) -> tuple[dict, dict]:
    """Turn posted form data into a JSON object typed by the schema.

    Returns ``(data, locations)``. ``data`` is what a JSON client would send: blank inputs and
    blank array rows are left out (so defaults and "missing" errors apply exactly as in the
    API), and an optional object is left out unless something in it was changed from the
    untouched form. ``locations`` maps each JSON path (a tuple of strings) to the name of the
    input it came from, so errors are shown next to the control even after blank rows were
    dropped.
    """
    posted = _Posted(form, list(form.keys()), default_values(tree), {})
    data, _ = _parse(tree, "", (), posted)
    return (data if isinstance(data, dict) else {}), posted.locations


def _parse(node: SchemaField, name: str, path: tuple, posted: _Posted) -> tuple[Any, bool]:
    """Return ``(value or MISSING, whether the user changed anything here)``."""
    posted.locations[path] = name
    if node.kind == "object":
        result, changed = {}, False
        for child in node.children:
            value, child_changed = _parse(child, child_name(name, child.key),
                                          path + (child.key,), posted)
            if value is not MISSING:
                result[child.key] = value
            changed = changed or child_changed
        return (result if changed or node.required else MISSING), changed
    if node.kind == "array":
        items, changed = [], False
        for index in row_indices(name, posted.keys):
            value, row_changed = _parse(node.items, child_name(name, index),
                                        path + (str(len(items)),), posted)
            if value is not MISSING:
                items.append(value)
            changed = changed or row_changed
        return (items if items or node.required else MISSING), changed
    if node.kind == "boolean":
        ticked = name in posted.form
        return ticked, ticked != (name in posted.defaults)
    # A browser posts a text area's line breaks as CRLF (HTML's form encoding) but gives them to
    # a script as LF: both send LF, so the model sees the same text either way.
    raw = posted.form.get(name, "").replace("\r\n", "\n")
    changed = raw != posted.defaults.get(name, "")
    return (MISSING if raw == "" else text_to_value(node.kind, raw)), changed


def locate_errors(errors: Any, locations: Mapping[tuple, str]) -> dict[str, list[str]]:
    """Flatten nested field errors into ``{input name: [messages]}``.

    A path with no input of its own (an unknown field, an error about a whole object) is
    reported at its nearest ancestor that has one; the form itself is the name ``""``.
    """
    flat: dict[str, list[str]] = {}
    for path, message in flatten_errors(errors or {}):
        at = path
        while at not in locations:
            at = at[:-1]
        if at != path:  # shown above the field it is about: say which one
            message = f"{'.'.join(path[len(at):])}: {message}"
        bucket = flat.setdefault(locations[at], [])
        if message not in bucket:
            bucket.append(message)
    return flat
