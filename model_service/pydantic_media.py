"""Media types for pydantic schemas: ``Image`` and ``File``, the pydantic face of ``media.py``.

A pydantic model declares them the way a marshmallow schema declares the fields of
``model_service.media``, with the same keyword arguments and the same meaning (DESIGN §1.1)::

    from pydantic import BaseModel, Field
    from model_service.pydantic_media import File, Image

    class PhotoInput(BaseModel):
        photo: Image(formats=("png", "jpeg"), max_bytes=8_000_000) = Field(description="A photo.")
        notes: File(media_types=("text/plain",), max_bytes=100_000) | None = None

Type checkers prefer ``Annotated``, which works as well: ``photo: Annotated[PIL.Image.Image,
Image(formats=("png",))]``.

Each ``Image(...)``/``File(...)`` holds the marshmallow field of the same name, and every check
is that field's: base64 and data: URIs, sizes, formats by content, pixel limits, EXIF. Nothing
is decoded or checked twice, and the JSON Schema is the field's own (``contentEncoding``,
``contentMediaType``, the ``x-`` keys), so a schema written either way publishes the same
contract.

**Directions.** The service validates a request with ``INPUT_CONTEXT``: then a base64 string, a
data: URI or uploaded bytes are decoded and checked, and the model gets a PIL image (``Image``)
or bytes (``File``). Everywhere else (a model building its output, a test building an input) a
value is taken as what ``predict`` hands over: a PIL image or encoded bytes for an ``Image``,
bytes for a ``File``; it is checked when the service serialises it (``model_dump(mode="json")``
gives the base64 text), as the marshmallow field checks it on ``dump``.
"""
from __future__ import annotations

from typing import Annotated, Any, Iterable, Optional

from marshmallow import ValidationError
from pydantic_core import PydanticCustomError, core_schema

from . import media

__all__ = ["File", "INPUT_CONTEXT", "Image", "MediaType", "is_input"]

#: The validation context the service passes when it loads a request (``model_validate``).
INPUT_CONTEXT = {"model_service": "input"}
_ERROR_TYPE = "media"


def is_input(info: Any) -> bool:
    """Tell whether a validation runs on a request (so wire values are decoded)."""
    context = getattr(info, "context", None)
    return isinstance(context, dict) and context.get("model_service") == "input"


def _messages(error: ValidationError) -> str:
    messages = error.messages
    if isinstance(messages, dict):
        messages = [text for values in messages.values() for text in values]
    return " ".join(str(text) for text in messages) if isinstance(messages, list) else str(messages)


class MediaType:
    """A media value in a pydantic model: its checks and JSON Schema are ``field``'s.

    Usable as an annotation on its own, inside ``Annotated[...]``, and as ``X | None``.
    """

    def __init__(self, field: media.MediaField) -> None:
        self.field = field

    def __repr__(self) -> str:
        return f"{type(self.field).__name__}({self.field.describe()})"

    # pydantic asks these two of an annotation (or of Annotated metadata)

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        return core_schema.with_info_plain_validator_function(
            self._validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                self._serialize, when_used="json"),
        )

    def __get_pydantic_json_schema__(self, schema: Any, handler: Any) -> dict:
        return self.field.json_schema()

    # `Image(...) | None`: an optional media value

    def __or__(self, other: Any) -> Any:
        return Optional[Annotated[Any, self]] if other in (None, type(None)) else NotImplemented

    def __ror__(self, other: Any) -> Any:
        return self.__or__(other)

    # the work, all of it the marshmallow field's

    def _validate(self, value: Any, info: Any) -> Any:
        try:
            if is_input(info):
                return self.field.deserialize(value)
            if isinstance(value, (bytes, bytearray, memoryview)):
                return bytes(value)
            if isinstance(self.field, media.Image) and _is_pil_image(value):
                return value
        except ValidationError as error:
            raise PydanticCustomError(_ERROR_TYPE, "{message}",
                                      {"message": _messages(error)}) from None
        expected = "a PIL image or encoded bytes" if isinstance(self.field, media.Image) else "bytes"
        raise PydanticCustomError(_ERROR_TYPE, "{message}", {
            "message": f"Expected {expected}, got {type(value).__name__}."})

    def _serialize(self, value: Any) -> str | None:
        try:
            return self.field._serialize(value, None, None)
        except ValidationError as error:
            raise ValueError(_messages(error)) from None


def _is_pil_image(value: Any) -> bool:
    # Pillow is imported by whoever made the image; a service without images never loads it.
    import sys

    pil = sys.modules.get("PIL.Image")
    return pil is not None and isinstance(value, pil.Image)


def Image(*, formats: Iterable[str] = ("png", "jpeg"), max_bytes: int = media.DEFAULT_MAX_BYTES,
          max_pixels: int = media.DEFAULT_MAX_PIXELS) -> MediaType:
    """An image: ``predict`` receives a loaded ``PIL.Image.Image`` (see ``media.Image``)."""
    return MediaType(media.Image(formats=formats, max_bytes=max_bytes, max_pixels=max_pixels))


def File(*, media_types: Iterable[str] = (media.OCTET_STREAM,),
         max_bytes: int = media.DEFAULT_MAX_BYTES) -> MediaType:
    """A file: ``predict`` receives ``bytes`` (see ``media.File``)."""
    return MediaType(media.File(media_types=media_types, max_bytes=max_bytes))
