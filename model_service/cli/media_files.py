"""Media for ``model-service predict``: input fields read from file paths, outputs written as files.

In a CSV, JSON or JSON Lines input, the text of a media field (``Image``, ``File``) is a file
path, relative to the input file's folder (to the current directory for stdin and ``--input``),
or a ``data:`` URI carrying the content inline. The file's bytes then go to the field as an
upload's would: the field checks them (format by content, size, pixels) before the model sees
them. A path that cannot be read is an error of that row and field, like any invalid value.

With ``--output-dir``, each media output of row N is written there as ``row-N.<field>.<ext>``
(the extension from the content's media type) and its JSON line holds that file name instead of
the base64 text.
"""
from __future__ import annotations

import base64
import mimetypes
import re
from pathlib import Path
from typing import Any

from .. import media
from ..core.validation import SchemaValidator
from ..core.values import input_kind, text_to_value

# File name extensions of the media types outputs are most often in; others ask ``mimetypes``.
EXTENSIONS = {
    "image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp",
    "image/bmp": "bmp", "text/plain": "txt", "text/csv": "csv", "application/json": "json",
    "application/pdf": "pdf", "application/zip": "zip", "application/gzip": "gz",
    "audio/wav": "wav", media.OCTET_STREAM: "bin",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


class MediaPaths:
    """Read the media fields of input rows from files below one folder."""

    def __init__(self, validator: SchemaValidator, base: Path, base_label: str) -> None:
        self.fields = validator.media_fields
        self.base = base
        self.base_label = base_label  # how error messages name the folder

    def read(self, row: Any) -> tuple[Any, dict]:
        """Return ``row`` with each media path replaced by the file's bytes, and the errors."""
        if not self.fields or not isinstance(row, dict):
            return row, {}
        errors: dict[str, list[str]] = {}
        read = dict(row)
        for name, field in self.fields.items():
            value = row.get(name)
            if not isinstance(value, str) or value[:5].lower() == "data:":
                continue  # a data: URI is the content; anything else is for validation to name
            try:
                read[name] = self.read_file(value, field)
            except ValueError as error:
                errors[name] = [str(error)]
        return read, errors

    def read_file(self, text: str, field: media.MediaField) -> bytes:
        """Read the file ``text`` names for ``field``; its size is checked before reading."""
        path = self.base / text
        try:
            if not path.is_file():
                reason = "not a file" if path.exists() else "no such file"
                raise ValueError(f"Cannot read {text!r}: {reason} (paths are relative to "
                                 f"{self.base_label}; give inline content as a data: URI).")
            size = path.stat().st_size
            if size > field.max_bytes:
                raise ValueError(media.oversize_message(field.noun, size, field.max_bytes))
            return path.read_bytes()
        except OSError as error:
            raise ValueError(f"Cannot read {text!r}: {error.strerror or error}.") from None


def parse_inputs(pairs: tuple[str, ...], validator: SchemaValidator, media_paths: MediaPaths
                 ) -> tuple[dict, dict]:
    """Build one input from ``--input FIELD=VALUE`` pairs: media fields read from files.

    Other values are read by their field's type, as CSV cells and form inputs are. Return the
    input and its errors.
    """
    properties = validator.json_schema.get("properties") or {}
    row: dict[str, Any] = {}
    for pair in pairs:
        name, _, text = pair.partition("=")
        schema = properties.get(name)
        if name in validator.media_fields or not isinstance(schema, dict):
            row[name] = text
        else:
            row[name] = text_to_value(input_kind(schema), text)
    return media_paths.read(row)


def extension(media_type: str) -> str:
    """The file name extension (no dot) for content of ``media_type``."""
    if media_type in EXTENSIONS:
        return EXTENSIONS[media_type]
    guessed = mimetypes.guess_extension(media_type)
    return guessed[1:] if guessed else EXTENSIONS[media.OCTET_STREAM]


def write_outputs(result: dict, number: int, validator: SchemaValidator, directory: Path) -> dict:
    """Write row ``number``'s media outputs into ``directory``; return the result naming them."""
    written = dict(result)
    for name, field in validator.media_fields.items():
        value = result.get(name)
        if not isinstance(value, str):
            continue  # a null optional output
        data = base64.b64decode(value)
        safe_name = _UNSAFE.sub("_", name)  # a field's wire name may hold any character
        file_name = f"row-{number}.{safe_name}.{extension(field.media_type_of(data))}"
        (directory / file_name).write_bytes(data)
        written[name] = file_name
    return written
