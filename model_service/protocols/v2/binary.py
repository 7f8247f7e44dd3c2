"""Bodies of the binary tensor extension: a JSON header, then tensors as raw bytes.

``tritonclient.http`` uses the extension by default: the request body is the JSON request
followed by each input's bytes, the ``Inference-Header-Content-Length`` HTTP header gives the
JSON part's length, and each such input says its byte count in ``parameters.binary_data_size``
(decoded by :func:`codec.read_binary_tensor`). A client asks for binary outputs with the
request parameter ``binary_data_output`` or a requested output's ``binary_data``; the response
is then framed the same way. Without the header a body is plain JSON.
"""
from __future__ import annotations

import base64
import struct
from collections.abc import Callable
from typing import Any

import numpy as np
import orjson

from .codec import NUMPY_DTYPES, CodecError

HEADER = "Inference-Header-Content-Length"
BINARY_MIMETYPE = "application/octet-stream"
JSON_MIMETYPE = "application/json"


def read_request(body: bytes, header_length: str | None) -> tuple[Any, bytes | None]:
    """Parse an infer request body; return its JSON value and its binary part (None if none).

    ``header_length`` is the ``Inference-Header-Content-Length`` header as sent, or None.
    """
    binary = None
    if header_length is not None:
        text = header_length.strip()
        if not (text.isascii() and text.isdigit()) or int(text) > len(body):
            raise CodecError(f"{HEADER} must be the byte length of the JSON part of the body "
                             f"(at most {len(body)}), not {header_length[:20]!r}.")
        body, binary = body[:int(text)], body[int(text):]
    try:
        # orjson refuses NaN, Infinity and nesting deeper than 1024 levels: a 400, not a crash.
        return orjson.loads(body), binary
    except orjson.JSONDecodeError as error:
        raise CodecError(f"The request body is not valid JSON: {error}.") from None


def write_response(response: dict, binary_outputs: frozenset,
                   dumps: Callable[[Any], bytes] = orjson.dumps) -> tuple[bytes, int | None]:
    """Serialise a V2 response; outputs named in ``binary_outputs`` go as raw bytes.

    Returns the body and the value of the ``Inference-Header-Content-Length`` header (None when
    no output went binary, and the body is plain JSON). An output that cannot be raw bytes (an
    integer or boolean tensor holding nulls) stays in JSON; clients read each output by its own
    ``binary_data_size``, so a response may mix both.
    """
    chunks: list[bytes] = []
    outputs = []
    for tensor in response["outputs"]:
        raw = _tensor_bytes(tensor) if tensor["name"] in binary_outputs else None
        if raw is None:
            outputs.append(tensor)
            continue
        chunks.append(raw)
        binary_tensor = {key: value for key, value in tensor.items() if key != "data"}
        binary_tensor["parameters"] = {**tensor.get("parameters", {}), "binary_data_size": len(raw)}
        outputs.append(binary_tensor)
    if not chunks:
        return dumps(response), None
    header = dumps({**response, "outputs": outputs})
    return header + b"".join(chunks), len(header)


def _tensor_bytes(tensor: dict) -> bytes | None:
    data, datatype = tensor["data"], tensor["datatype"]
    if datatype == "BYTES":
        if None in data:
            return None
        if tensor.get("parameters", {}).get("content_type") == "base64":  # media: the file itself
            elements = [base64.b64decode(value.partition(",")[2] if value.startswith("data:")
                                         else value) for value in data]
        else:
            elements = [value.encode("utf-8") for value in data]
        return b"".join(struct.pack("<I", len(element)) + element for element in elements)
    if datatype.startswith("FP"):
        return np.array([np.nan if v is None else v for v in data], NUMPY_DTYPES[datatype]).tobytes()
    if None in data:
        return None
    return np.array(data, NUMPY_DTYPES[datatype]).tobytes()
