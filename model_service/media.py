"""Media fields: ``Image`` and ``File``, marshmallow fields for pictures and documents.

A model declares them in its schemas like any other field (DESIGN §1.1)::

    class PhotoInput(Schema):
        photo = Image(required=True, formats=("png", "jpeg"), max_bytes=8_000_000,
                      max_pixels=25_000_000, metadata={"description": "A photo."})
        notes = File(media_types=("text/plain",), max_bytes=100_000)

**Input.** A value arrives as ``bytes`` (a multipart part or a raw body) or, in JSON, as a base64
string (RFC 4648, standard alphabet, padded, nothing else: no line breaks, no URL-safe ``-``/``_``)
or a ``data:<media type>;base64,...`` URI. The size is checked from the string's length before
anything is decoded, and again after. ``Image`` then recognises the format from the content with
Pillow restricted to the allowed formats (never from a name or a declared type), refuses more
than ``max_pixels`` from the header before decoding any pixel, decodes every pixel (a truncated
or corrupt file fails here, not in the model), applies the EXIF orientation and hands ``predict``
a plain, loaded ``PIL.Image.Image`` without metadata (EXIF, XMP, ICC profile, text chunks,
comments; only the ``transparency`` entry, which is pixel meaning, is kept). ``File`` hands
``predict`` the ``bytes`` after checking them against ``media_types`` by content, with the rules
of ``CONTENT_RULES``: a media type with no rule there (and ``application/octet-stream``) is
accepted on size alone, and says so in its description.

**Output.** For an ``Image``, ``predict`` may return a PIL image (encoded as the first of
``formats``) or bytes already in one of ``formats`` (decoded in full to check them, passed on
unchanged when they carry no EXIF, re-encoded in their own format when they do). For a ``File``,
bytes of one of ``media_types``. Anything else, or an output over the limits, raises
``marshmallow.ValidationError`` naming the field: the service reports the model as breaking its
contract. Outputs never carry EXIF.

**JSON Schema.** ``media2properties`` is an apispec attribute function: a media field becomes
``{"type": "string", "contentEncoding": "base64", "contentMediaType": ...}`` with a ``maxLength``
that no valid value exceeds and ``x-`` keys for people and tools (``x-formats``,
``x-mediaTypes``, ``x-maxBytes``, ``x-maxPixels``). The content keywords are annotations in JSON
Schema 2020-12: a validator that asserts them (fastjsonschema does, as draft 7 allowed) must be
given ``without_content_assertions(schema)``.

**Cost** (a 1000×1000 photo-like image; CPU medians of 40 runs of ``python -m bench.media_field``
on the development machine, Pillow 13.0). Input from bytes: a JPEG (quality 90, 0.31 MB) takes
9.3 ms to check and decode, where Pillow's own open and load take 4.3 ms; a PNG (1.75 MB) 24.5 ms,
Pillow 19.6 ms. From base64 text add 1 ms and 5.5 ms. The 5 ms over Pillow is the copy that leaves
the file's metadata behind, or rather the page faults of its fresh memory: with Pillow keeping
freed blocks (``PILLOW_BLOCKS_MAX=16`` in the environment, a process-wide choice for whoever
runs the service) the same inputs take 4.4 ms and 19.9 ms. Output: a PIL image encoded as JPEG
3.7 ms, as PNG 68 ms; JPEG bytes checked and passed on 9.3 ms.

**Threads.** Pillow reports damaged-but-readable files and its own decompression-bomb limit
through ``warnings``; they must neither reach the log nor, where warnings are errors, turn into a
crash. ``warnings.catch_warnings`` changes process-wide state and is unsafe when two threads
overlap, so every decode in this module holds one lock while it catches them. That serialises
image decoding within one worker process (about 9 ms per megapixel of JPEG, 25 ms of PNG);
processes still decode in parallel.

Importing this module is cheap (1.5 ms once marshmallow is loaded): Pillow (12 ms more) is
imported at the first image, and nothing of Flask or the web stack is imported at all.
"""
from __future__ import annotations

import base64
import binascii
import io
import json
import re
import threading
import warnings
from typing import Any, Callable, Iterable, Mapping

from marshmallow import Schema, ValidationError, fields

__all__ = [
    "CONTENT_RULES",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "File",
    "Image",
    "IMAGE_FORMATS",
    "MediaField",
    "base64_length",
    "decode_base64",
    "describe_json_schema",
    "is_media_field",
    "json_stand_in",
    "media2properties",
    "media_fields",
    "oversize_json_message",
    "oversize_message",
    "raw_body_field",
    "raw_response_field",
    "without_content_assertions",
]

DEFAULT_MAX_BYTES = 8_000_000  # 8 MB: a phone photo or a scanned page; the body limit may be lower
DEFAULT_MAX_PIXELS = 25_000_000  # 25 MP: a 5000×5000 image, about 75 MB decoded as RGB
# The longest "data:<media type>[;parameters];base64," accepted before the comma.
DATA_URI_HEADER_MAX = 256
OCTET_STREAM = "application/octet-stream"

# The image formats an ``Image`` may take or give: name -> (Pillow's name, media type).
IMAGE_FORMATS: dict[str, tuple[str, str]] = {
    "png": ("PNG", "image/png"),
    "jpeg": ("JPEG", "image/jpeg"),
    "gif": ("GIF", "image/gif"),
    "webp": ("WEBP", "image/webp"),
    "bmp": ("BMP", "image/bmp"),
}
_FORMAT_ALIASES = {"jpg": "jpeg"}
# How outputs are encoded. JPEG and WebP at quality 90 rather than Pillow's 75: model outputs are
# often drawn (flat colours, sharp edges), where low qualities ring. PNG at zlib level 1 rather
# than Pillow's 6: 5 times faster on a 1 MP photo-like image (66 ms against 324 ms of CPU), and
# the file was 7 % smaller on that image and 17 % larger on a smoother one.
_SAVE_OPTIONS: dict[str, dict[str, Any]] = {
    "jpeg": {"quality": 90}, "webp": {"quality": 90}, "png": {"compress_level": 1}}
# Content signatures of the image formats, to name the media type of encoded bytes.
_IMAGE_SIGNATURES = (
    ("png", lambda data: data.startswith(b"\x89PNG\r\n\x1a\n")),
    ("jpeg", lambda data: data.startswith(b"\xff\xd8\xff")),
    ("gif", lambda data: data[:6] in (b"GIF87a", b"GIF89a")),
    ("webp", lambda data: data[:4] == b"RIFF" and data[8:12] == b"WEBP"),
    ("bmp", lambda data: data.startswith(b"BM")),
)
_KEPT_IMAGE_INFO = ("transparency",)  # pixel meaning (a palette's transparent entry), not metadata
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/(\*|[a-z0-9][a-z0-9!#$&^_.+-]*)$")

# One lock for every Pillow call that may warn (see "Threads" in the module docstring).
_PILLOW_LOCK = threading.Lock()
_pil: Any = None


def _pillow() -> Any:
    """Import Pillow at first use: 12 ms that a service without images does not spend."""
    global _pil
    if _pil is None:
        import PIL.Image
        import PIL.ImageOps

        _pil = PIL
    return _pil


# ------------------------------------------------------------------------------------------------
# Content rules of File


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _refuse_constant(name: str) -> None:
    raise ValueError(name)


def _is_json(data: bytes) -> bool:
    if not _is_text(data):
        return False
    try:
        json.loads(data.decode("utf-8-sig"), parse_constant=_refuse_constant)
    except ValueError:
        return False
    return True


# What a ``File`` checks for each media type: one function of the bytes. Text is UTF-8 without
# NUL bytes; the binary formats are recognised by their signatures, the way a browser sniffs
# (WHATWG MIME Sniffing), which tells a PDF from a photo but does not prove the file is intact.
CONTENT_RULES: dict[str, Callable[[bytes], bool]] = {
    "text/*": _is_text,
    "application/json": _is_json,
    "application/pdf": lambda data: b"%PDF-" in data[:1024],
    "application/zip": lambda data: data[:4] in (b"PK\x03\x04", b"PK\x05\x06"),
    "application/gzip": lambda data: data.startswith(b"\x1f\x8b\x08"),
    "audio/wav": lambda data: data[:4] == b"RIFF" and data[8:12] == b"WAVE",
    **{media_type: sniff for name, sniff in _IMAGE_SIGNATURES
       for media_type in [IMAGE_FORMATS[name][1]]},
}


def _content_rule(media_type: str) -> Callable[[bytes], bool] | None:
    """Return the content check of ``media_type``, or None when there is none."""
    rule = CONTENT_RULES.get(media_type)
    if rule is None and media_type.startswith("text/"):
        rule = CONTENT_RULES["text/*"]
    return rule


# ------------------------------------------------------------------------------------------------
# Base64, sizes and messages


def base64_length(size: int) -> int:
    """Return the length of the padded base64 text of ``size`` bytes."""
    return 4 * ((size + 2) // 3)


def _decoded_size(text: str) -> int:
    """Return how many bytes ``text`` decodes to, from its length alone (exact when well formed)."""
    padding = 2 if text.endswith("==") else 1 if text.endswith("=") else 0
    return len(text) * 3 // 4 - padding


_NOT_BASE64 = "Not valid base64."
_BASE64_CHARACTER = re.compile(r"[^A-Za-z0-9+/=]")


def decode_base64(text: str) -> bytes:
    """Decode padded standard-alphabet base64 (RFC 4648 §4) strictly, or say what is wrong."""
    try:
        data = text.encode("ascii")
    except UnicodeEncodeError:
        data = None
    if data is not None and len(data) % 4 == 0 and not data.endswith(b"==="):
        try:
            return binascii.a2b_base64(data, strict_mode=True)
        except binascii.Error:
            pass
    raise ValidationError(f"{_NOT_BASE64} {_base64_problem(text)}")


def _base64_problem(text: str) -> str:
    """Say what makes ``text`` invalid base64, as a sentence a person can act on."""
    bad = _BASE64_CHARACTER.search(text)
    if bad:
        character, position = bad.group(), bad.start()
        if character.isspace():
            return ("It contains spaces or line breaks; encode without wrapping "
                    "(base64 -w0, or base64.b64encode in Python).")
        if character in "-_":
            return ("It uses the URL-safe alphabet ('-' and '_'); "
                    "the standard one ('+' and '/') is expected.")
        return f"The character {character!r} at position {position} is not in the base64 alphabet."
    body = text.rstrip("=")
    if "=" in body or len(text) - len(body) > 2:
        return "'=' may only pad the end, at most twice."
    return f"Its length ({len(text)}) is not a multiple of 4; is the '=' padding missing?"


def oversize_message(noun: str, size: int, limit: int) -> str:
    """The message for ``size`` bytes where at most ``limit`` are allowed ("Image is ... bytes")."""
    return f"{noun} is {size} bytes; at most {limit} allowed."


def _human_size(size: int) -> str:
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} bytes"


def _join_or(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _describe(kind: str, kinds: list[str], max_bytes: int) -> str:
    return f"{kind} ({_join_or(kinds)}, up to {_human_size(max_bytes)})"


def _media_type_of_declared(value: str) -> str:
    """Return the bare, lower-case media type of a Content-Type or data: header (no parameters)."""
    return value.split(";", 1)[0].strip().lower()


# ------------------------------------------------------------------------------------------------
# The fields


class MediaField(fields.Field):
    """The common part of ``Image`` and ``File``: wire decoding, size limits, JSON Schema facts.

    Not for direct use in a schema. Subclasses set ``noun`` and ``media_types`` and implement
    ``_check_input`` (bytes -> the value ``predict`` gets) and ``encode`` (an output -> bytes).
    """

    noun = "File"

    def __init__(self, *, max_bytes: int = DEFAULT_MAX_BYTES, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes < 1:
            raise ValueError(f"max_bytes must be a positive integer, got {max_bytes!r}.")
        self.max_bytes = max_bytes
        self.media_types: tuple[str, ...] = ()

    # -- facts for the rest of the service ---------------------------------------------------

    @property
    def content_media_type(self) -> str:
        """The one media type JSON Schema's ``contentMediaType`` names for this field.

        One accepted type is itself; several of one family (``image/png``, ``image/jpeg``) are
        ``image/*``; several of different families are ``application/octet-stream``. The exact
        list is ``media_types`` (``x-mediaTypes`` in the JSON Schema).
        """
        if len(self.media_types) == 1:
            return self.media_types[0]
        families = {media_type.split("/")[0] for media_type in self.media_types}
        return f"{families.pop()}/*" if len(families) == 1 else OCTET_STREAM

    @property
    def max_length(self) -> int:
        """The longest JSON string a valid value can be: base64 of ``max_bytes`` plus a data: header."""
        return base64_length(self.max_bytes) + DATA_URI_HEADER_MAX

    def describe(self) -> str:
        """Describe the field for people: ``image (PNG or JPEG, up to 8 MB)``."""
        return describe_json_schema(self.json_schema())

    def accepts_media_type(self, declared: str | None) -> bool:
        """Tell whether a declared type (a Content-Type, a data: URI's) may be sent to this field.

        Parameters (``; charset=utf-8``) are ignored; no type, or ``application/octet-stream``,
        declares nothing, and the content decides. A False is a 415 for a raw body and a 422
        for a multipart part or a data: URI.
        """
        media_type = _media_type_of_declared(declared or "")
        if media_type in ("", OCTET_STREAM) or OCTET_STREAM in self.media_types:
            return True
        return any(media_type == allowed or (allowed.endswith("/*") and
                                             media_type.startswith(allowed[:-1]))
                   for allowed in self.media_types)

    def media_type_of(self, data: bytes) -> str:
        """Name the media type of encoded bytes (an output), for a raw response's Content-Type."""
        for media_type in self.media_types:
            rule = _content_rule(media_type)
            if rule is not None and "*" not in media_type and rule(data):
                return media_type
        concrete = [media_type for media_type in self.media_types if "*" not in media_type]
        return concrete[0] if len(concrete) == 1 else OCTET_STREAM

    def json_schema(self) -> dict:
        """The JSON Schema of this field (what ``media2properties`` publishes)."""
        schema: dict[str, Any] = {
            "type": ["string", "null"] if self.allow_none else "string",
            "contentEncoding": "base64",
            "contentMediaType": self.content_media_type,
            "maxLength": self.max_length,
            "x-mediaTypes": list(self.media_types),
            "x-maxBytes": self.max_bytes,
        }
        return schema

    # -- marshmallow -------------------------------------------------------------------------

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None,
                     **kwargs: Any) -> Any:
        return self._check_input(self.wire_bytes(value))

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        try:
            encoded = self.encode(value)
        except ValidationError as error:
            # Schema.dump does not name the field of an error it did not expect; name it here.
            raise ValidationError(error.messages, field_name=self.data_key or attr or "_schema")
        return base64.b64encode(encoded).decode("ascii")

    def wire_bytes(self, value: Any) -> bytes:
        """Turn a wire value (bytes, base64 text or a data: URI) into bytes within ``max_bytes``."""
        if isinstance(value, (bytes, bytearray, memoryview)):
            data = bytes(value)
            self._check_size(len(data))
            return data
        if not isinstance(value, str):
            raise ValidationError(
                f"Not a valid {self.noun.lower()}: expected a base64 string, "
                f"got {type(value).__name__}.")
        if value[:5].lower() == "data:":
            value = self._data_uri_payload(value)
        self._check_size(_decoded_size(value))  # before decoding anything
        data = decode_base64(value)
        self._check_size(len(data))
        return data

    def _data_uri_payload(self, uri: str) -> str:
        """Check a ``data:`` URI's header; return its base64 payload."""
        comma = uri.find(",", 0, DATA_URI_HEADER_MAX)
        if comma < 0:
            raise ValidationError("Not a valid data: URI: expected data:<media type>;base64,<data>.")
        header = uri[5:comma].split(";")
        if header[-1].strip().lower() != "base64":
            raise ValidationError(
                "Only base64 data: URIs are accepted: data:<media type>;base64,<data>.")
        declared = header[0] if len(header) > 1 else ""
        if not self.accepts_media_type(declared):
            raise ValidationError(
                f"The data: URI declares {_media_type_of_declared(declared)}; "
                f"this field takes {_join_or(list(self.media_types))}.")
        return uri[comma + 1:]

    def _check_size(self, size: int) -> None:
        if size > self.max_bytes:
            raise ValidationError(oversize_message(self.noun, size, self.max_bytes))

    def _check_input(self, data: bytes) -> Any:
        raise NotImplementedError

    def encode(self, value: Any) -> bytes:
        """Check a model's output and return its encoded bytes; raise ValidationError if broken."""
        raise NotImplementedError


class Image(MediaField):
    """An image: ``predict`` receives a loaded ``PIL.Image.Image`` and may return one or bytes.

    ``formats`` are among ``png``, ``jpeg`` (alias ``jpg``), ``gif``, ``webp``, ``bmp``; an output
    PIL image is encoded as the first. A multi-frame GIF or WebP gives its first frame.
    """

    noun = "Image"

    def __init__(self, *, formats: Iterable[str] = ("png", "jpeg"),
                 max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS,
                 **kwargs: Any) -> None:
        super().__init__(max_bytes=max_bytes, **kwargs)
        if isinstance(formats, str):
            formats = (formats,)
        names = []
        for name in formats:
            name = _FORMAT_ALIASES.get(str(name).lower(), str(name).lower())
            if name not in IMAGE_FORMATS:
                raise ValueError(f"Unknown image format {name!r}; "
                                 f"expected some of {', '.join(IMAGE_FORMATS)}.")
            if name not in names:
                names.append(name)
        if not names:
            raise ValueError("formats must name at least one image format.")
        if not isinstance(max_pixels, int) or isinstance(max_pixels, bool) or max_pixels < 1:
            raise ValueError(f"max_pixels must be a positive integer, got {max_pixels!r}.")
        self.formats: tuple[str, ...] = tuple(names)
        self.max_pixels = max_pixels
        self.media_types = tuple(IMAGE_FORMATS[name][1] for name in names)
        self._pillow_formats = [IMAGE_FORMATS[name][0] for name in names]
        self._not_format = f"Not {_article(self._labels())} image."

    def _labels(self) -> list[str]:
        return [name.upper() for name in self.formats]

    def json_schema(self) -> dict:
        schema = super().json_schema()
        schema["x-formats"] = list(self.formats)
        schema["x-maxPixels"] = self.max_pixels
        return schema

    def media_type_of(self, data: bytes) -> str:
        for name, sniff in _IMAGE_SIGNATURES:
            if name in self.formats and sniff(data):
                return IMAGE_FORMATS[name][1]
        return self.media_types[0]

    # -- input ---------------------------------------------------------------------------------

    def _check_input(self, data: bytes) -> Any:
        return self._decode(data)[0]

    def _pixel_limit(self) -> int:
        """``max_pixels``, or Pillow's own bomb limit when that is lower (it is 89 MP by default)."""
        pillow_limit = _pillow().Image.MAX_IMAGE_PIXELS
        return min(self.max_pixels, pillow_limit) if pillow_limit else self.max_pixels

    def _decode(self, data: bytes) -> tuple[Any, str, bool]:
        """Decode ``data`` fully; return (a clean image, the format's name, whether it had EXIF)."""
        PIL = _pillow()
        with _PILLOW_LOCK, warnings.catch_warnings():
            # Recoverable damage is Pillow's to skip; a bomb is refused below by the pixel check,
            # which is never above Pillow's warning threshold.
            warnings.simplefilter("ignore")
            try:
                with PIL.Image.open(io.BytesIO(data), formats=self._pillow_formats) as image:
                    self._check_pixels(image.size)
                    image_format = image.format.lower() if image.format else self.formats[0]
                    image_format = "jpeg" if image_format == "mpo" else image_format
                    image.load()  # every pixel now: a truncated or corrupt file fails here
                    had_exif = bool(image.getexif()) or "exif" in image.info
                    PIL.ImageOps.exif_transpose(image, in_place=True)
                    image.info = {key: image.info[key] for key in _KEPT_IMAGE_INFO
                                  if key in image.info}
                    # A plain copy: the file object's own metadata (JPEG APP segments, PNG text,
                    # cached EXIF) stays behind with it.
                    clean = image.copy()
            except ValidationError:
                raise
            except PIL.UnidentifiedImageError:
                raise ValidationError(self._not_format) from None
            except PIL.Image.DecompressionBombError as error:
                # Over twice Pillow's limit: it refuses before giving the size; its message has it.
                pixels = re.search(r"\((\d+) pixels\)", str(error))
                raise ValidationError(self._pixels_message(int(pixels.group(1))) if pixels
                                      else f"Image is too large: {error}") from None
            except Exception as error:  # hostile bytes surface as many exception types
                reason = "truncated" if "truncated" in str(error) else "corrupt"
                raise ValidationError(f"The {self._format_label(data)} image is {reason}.") \
                    from None
        return clean, image_format, had_exif

    def _format_label(self, data: bytes) -> str:
        return self.media_type_of(data).split("/")[1].upper()

    def _check_pixels(self, size: tuple[int, int]) -> None:
        if size[0] * size[1] > self._pixel_limit():
            raise ValidationError(self._pixels_message(size[0] * size[1]))

    def _pixels_message(self, pixels: int) -> str:
        return f"Image is {pixels} pixels; at most {self._pixel_limit()} allowed."

    # -- output --------------------------------------------------------------------------------

    def encode(self, value: Any) -> bytes:
        """Encode a PIL image as the first of ``formats``, or check bytes in one of them."""
        PIL = _pillow()
        if isinstance(value, (bytes, bytearray, memoryview)):
            data = bytes(value)
            self._check_size(len(data))
            clean, image_format, had_exif = self._decode(data)
            if not had_exif:
                return data
            return self._save(clean, image_format)
        if not isinstance(value, PIL.Image.Image):
            raise ValidationError(
                f"Expected a PIL image or encoded bytes, got {type(value).__name__}.")
        self._check_pixels(value.size)
        return self._save(value, self.formats[0])

    def _save(self, image: Any, image_format: str) -> bytes:
        buffer = io.BytesIO()
        options = _SAVE_OPTIONS.get(image_format, {})
        try:
            # No exif= and no info carried over: Pillow writes metadata only when asked.
            image.save(buffer, format=IMAGE_FORMATS[image_format][0], **options)
        except (OSError, ValueError) as error:
            raise ValidationError(f"Cannot encode a {image.mode} image as "
                                  f"{image_format.upper()}: {error}.") from None
        data = buffer.getvalue()
        self._check_size(len(data))
        return data


class File(MediaField):
    """A file: ``predict`` receives ``bytes`` and returns bytes.

    ``media_types`` are checked by content with ``CONTENT_RULES`` (``text/*`` is UTF-8 text); a
    type without a rule, or ``application/octet-stream``, accepts any bytes within ``max_bytes``.
    """

    noun = "File"

    def __init__(self, *, media_types: Iterable[str] = (OCTET_STREAM,),
                 max_bytes: int = DEFAULT_MAX_BYTES, **kwargs: Any) -> None:
        super().__init__(max_bytes=max_bytes, **kwargs)
        if isinstance(media_types, str):
            media_types = (media_types,)
        names = []
        for media_type in media_types:
            media_type = str(media_type).strip().lower()
            if not _MEDIA_TYPE.match(media_type):
                raise ValueError(f"Not a media type: {media_type!r} (expected e.g. 'text/plain').")
            if media_type not in names:
                names.append(media_type)
        if not names:
            raise ValueError("media_types must name at least one media type.")
        self.media_types = tuple(names)
        rules = [_content_rule(media_type) for media_type in names]
        # Content is checked only when every accepted type has a rule: bytes that fail them all
        # may still be the type without one.
        self._rules = None if any(rule is None for rule in rules) else rules

    @property
    def checks_content(self) -> bool:
        """Tell whether the content is checked (False: any bytes within ``max_bytes`` pass)."""
        return self._rules is not None

    def json_schema(self) -> dict:
        schema = super().json_schema()
        if not self.checks_content:
            schema["x-contentChecked"] = False
        return schema

    def _check_content(self, data: bytes) -> bytes:
        if self._rules is not None and not any(rule(data) for rule in self._rules):
            raise ValidationError(f"Not {_article(list(self.media_types))} file.")
        return data

    def _check_input(self, data: bytes) -> bytes:
        return self._check_content(data)

    def encode(self, value: Any) -> bytes:
        """Check output bytes: within ``max_bytes`` and of one of ``media_types``."""
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise ValidationError(f"Expected bytes, got {type(value).__name__}.")
        data = bytes(value)
        self._check_size(len(data))
        return self._check_content(data)


def _article(words: list[str]) -> str:
    """``a PNG or JPEG``, ``an application/pdf``: the indefinite article for a list of kinds."""
    joined = _join_or(words)
    return ("an " if joined[0].lower() in "aeio" else "a ") + joined


# ------------------------------------------------------------------------------------------------
# Helpers for the rest of the service


def is_media_field(field: Any) -> bool:
    """Tell whether ``field`` is an ``Image`` or a ``File``."""
    return isinstance(field, MediaField)


def media_fields(schema: Schema | type[Schema]) -> dict[str, MediaField]:
    """Return a schema's top-level media fields, keyed by their name on the wire (``data_key``)."""
    instance = schema() if isinstance(schema, type) else schema
    return {field.data_key or name: field for name, field in instance.fields.items()
            if is_media_field(field)}


def raw_body_field(schema: Schema | type[Schema]) -> tuple[str, MediaField] | None:
    """Return ``(wire name, field)`` a raw request body fills, or None when none can.

    A raw body (``Content-Type: image/jpeg``) can stand for the whole input only when it leaves
    nothing required unsaid (DESIGN §1.1): the schema's one required field is a media field, or
    nothing is required and there is exactly one media field. Optional fields, optional media
    fields too (the ``notes`` beside a ``photo``), take their defaults.
    """
    instance = schema() if isinstance(schema, type) else schema
    found = media_fields(instance)
    required = [field for field in instance.load_fields.values() if field.required]
    if len(required) == 1:
        chosen = [(name, field) for name, field in found.items() if field is required[0]]
    else:
        chosen = list(found.items()) if not required and len(found) == 1 else []
    return chosen[0] if chosen else None


def raw_response_field(schema: Schema | type[Schema]) -> tuple[str, MediaField] | None:
    """Return ``(wire name, field)`` whose bytes answer ``Accept: <its media type>``, or None.

    Only an output schema with exactly one media field can answer with raw bytes; its other
    fields are not part of such a response.
    """
    found = media_fields(schema)
    return next(iter(found.items())) if len(found) == 1 else None


def describe_json_schema(schema: Mapping[str, Any]) -> str | None:
    """Describe a media field from its JSON Schema (``image (PNG or JPEG, up to 8 MB)``), else None."""
    if schema.get("contentEncoding") != "base64" or "x-maxBytes" not in schema:
        return None
    if "x-formats" in schema:
        return _describe("image", [name.upper() for name in schema["x-formats"]],
                         schema["x-maxBytes"])
    kinds = list(schema.get("x-mediaTypes") or [OCTET_STREAM])
    if kinds == [OCTET_STREAM]:
        kinds = ["any type"]
    elif schema.get("x-contentChecked") is False:
        kinds[-1] += ", content not checked"
    return _describe("file", kinds, schema["x-maxBytes"])


def media2properties(converter: Any, field: fields.Field, ret: dict, **kwargs: Any) -> dict:
    """apispec attribute function: publish a media field as a base64 string with its limits.

    Register it with ``OpenAPIConverter.add_attribute_function(media2properties)``.
    """
    return field.json_schema() if is_media_field(field) else {}


def without_content_assertions(schema: Any) -> Any:
    """Return ``schema`` without ``contentEncoding``/``contentMediaType``, for asserting validators.

    In JSON Schema 2020-12 both are annotations. fastjsonschema asserts them (as draft 7 allowed):
    it base64-decodes every such string on every check (non-strictly) and so refuses data: URIs.
    The field itself decodes strictly, once.
    """
    if isinstance(schema, dict):
        return {key: without_content_assertions(value) for key, value in schema.items()
                if key not in ("contentEncoding", "contentMediaType")}
    if isinstance(schema, list):
        return [without_content_assertions(value) for value in schema]
    return schema


def json_stand_in(data: Any, names: Iterable[str]) -> Any:
    """Return ``data`` with the bytes of media fields ``names`` replaced by ``""`` for a JSON check.

    Multipart parts and raw bodies arrive as bytes, which JSON Schema cannot describe; the empty
    string passes a media field's JSON Schema, and the field checks the bytes themselves.
    """
    if not isinstance(data, dict):
        return data
    replaced = {name: "" for name in names if isinstance(data.get(name), (bytes, bytearray,
                                                                            memoryview))}
    return {**data, **replaced} if replaced else data


def oversize_json_message(schema: Mapping[str, Any], instance: Any) -> str | None:
    """Say how many bytes an over-long media string holds, for a ``maxLength`` error; else None."""
    if "x-maxBytes" not in schema or not isinstance(instance, str):
        return None
    payload = instance
    if payload[:5].lower() == "data:":
        payload = payload[payload.find(",", 0, DATA_URI_HEADER_MAX) + 1:]
    noun = "Image" if "x-formats" in schema else "File"
    return oversize_message(noun, _decoded_size(payload), schema["x-maxBytes"])
