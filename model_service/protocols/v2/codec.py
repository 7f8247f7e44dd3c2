"""Map a model's JSON Schemas to Open Inference Protocol (V2) tensors, and tensors to rows and back.

The native API takes one JSON object per row; V2 takes named tensors whose first dimension is the
batch. This module is the one place that converts between them. It knows nothing of HTTP: errors
are :class:`CodecError` with a status and a message naming the input, rendered by the protocol's
endpoints as ``{"error": message}``. The rows it produces still go through the model's JSON
Schema, so the published schema stays the contract; the codec only maps tensors to rows.

**The mapping rule**

- Each top-level input field is an input tensor of the same name, holding one value per row: its
  shape is ``[N]`` or ``[N, 1, ...]`` (trailing ones; MLServer's pandas codec sends ``[N, 1]``),
  its data flat in row-major order or nested as the shape says. Metadata shows ``[-1]``.
- number → FP64; integer → INT64; boolean → BOOL; string (and enum of strings) → BYTES holding
  UTF-8 text; media (a string with ``contentEncoding: base64``) → BYTES.
- Accepted datatypes follow numpy's safe casting: a number input also takes FP32, FP16 and every
  INT/UINT width (values become floats), an integer input every INT/UINT width (values stay
  ints, so the schema's integer check passes); a float tensor is never narrowed to integers.
  Each element must be of its datatype's JSON type and within its range (INT8 takes -128..127,
  FP32 finite values up to 3.4e38, ...); NaN and infinity are refused. Integer tensors also
  take whole floats (``7.0``) and BOOL tensors 0 and 1, because a common client sends them so.
- A media element in JSON is the native API's value (base64 text or a ``data:`` URI); with the
  binary tensor extension it is the raw bytes, which are base64-encoded here.
- A field that is an object, an array, or of no single JSON type is not a tensor. Such an input
  is listed under the metadata's ``parameters.non_tensor_inputs``; when one of them is required,
  ``parameters.infer_unavailable`` says why and every infer request is refused with a 400.
- Each output field is an output tensor of shape ``[N]``. A nested object with fixed properties
  becomes one tensor per leaf, named by its dotted path (``probabilities.setosa``); lists and
  open objects become BYTES tensors of JSON documents (``content_type: pd_json``, MLServer's tag
  for a column of JSON). Metadata says so in ``parameters.nested_outputs = "dotted"``.
- BYTES tensors carry MLServer's per-tensor ``content_type`` (``str``, ``base64``, ``pd_json``)
  so MLServer's codecs decode them. A request-level ``content_type`` of ``pd`` (MLServer's pandas
  codec: each input a column) is the same rule and is echoed in the response.
"""
from __future__ import annotations

import base64
import binascii
import math
import struct
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

from ...core.errors import ModelServiceError
from ...core.values import describe_type, flatten_errors

PLATFORM = "model-service"
# Each row holds one value per input, so a shape is [N] plus trailing ones; more dimensions than
# this are not a row batch, and bounding them keeps a hostile nesting check cheap.
MAX_DIMENSIONS = 8

INTEGER_RANGES = {
    "INT8": (-(2**7), 2**7 - 1),
    "INT16": (-(2**15), 2**15 - 1),
    "INT32": (-(2**31), 2**31 - 1),
    "INT64": (-(2**63), 2**63 - 1),
    "UINT8": (0, 2**8 - 1),
    "UINT16": (0, 2**16 - 1),
    "UINT32": (0, 2**32 - 1),
    "UINT64": (0, 2**64 - 1),
}
# The largest finite magnitude of each float type; a larger value would round to infinity there.
FLOAT_LIMITS = {"FP16": 65504.0, "FP32": 3.4028234663852886e38, "FP64": math.inf}
_INT64_LOW, _INT64_HIGH = INTEGER_RANGES["INT64"]
# The largest finite magnitude of each: ``abs(value) <= it`` is false for NaN, the infinities
# and values out of range alike, so a valid element costs one comparison.
_FLOAT_LARGEST = {**FLOAT_LIMITS, "FP64": sys.float_info.max}
DATATYPES = (*INTEGER_RANGES, *FLOAT_LIMITS, "BOOL", "BYTES")
# Fixed-size datatypes as laid out by the binary tensor extension: little-endian, what numpy's
# tobytes() writes on the platforms tritonclient runs on. BOOL is one byte, 0 or 1.
NUMPY_DTYPES = {"BOOL": "u1", "INT8": "i1", "INT16": "<i2", "INT32": "<i4", "INT64": "<i8",
                "UINT8": "u1", "UINT16": "<u2", "UINT32": "<u4", "UINT64": "<u8",
                "FP16": "<f2", "FP32": "<f4", "FP64": "<f8"}

# kind -> (datatype published in metadata, datatypes accepted in a request, BYTES content type)
KINDS: dict[str, tuple[str, frozenset, str | None]] = {
    "number": ("FP64", frozenset({*FLOAT_LIMITS, *INTEGER_RANGES}), None),
    "integer": ("INT64", frozenset(INTEGER_RANGES), None),
    "boolean": ("BOOL", frozenset({"BOOL"}), None),
    "string": ("BYTES", frozenset({"BYTES"}), "str"),
    "media": ("BYTES", frozenset({"BYTES"}), "base64"),
    "json": ("BYTES", frozenset(), "pd_json"),  # outputs only
}
REQUEST_CONTENT_TYPES = (None, "pd")
# Per-input content types of MLServer's codecs that leave a scalar column's values as they are
# ("base64" is handled apart: it changes what a BYTES element means).
_PLAIN_INPUT_CONTENT_TYPES = (None, "np", "str", "pd", "datetime")
# Parameters that ask for something this server does not do; ignoring them would answer a
# different question than the one asked.
_UNSUPPORTED_PARAMETERS = {
    "shared_memory_region": "the shared-memory extension is not supported",
    "classification": "the classification extension is not supported",
}
_MISSING = object()
_NO_PARAMETERS: dict = {}
_KIND_WORDS = {"number": "a number", "integer": "an integer", "boolean": "a boolean",
               "string": "a string", "media": "a media file (base64 in JSON)"}


class CodecError(ModelServiceError):
    """A V2 request that cannot be mapped to rows: ``status`` is 400, or 413 for too many rows."""

    def __init__(self, detail: str, status: int = 400) -> None:
        super().__init__(detail)
        self.status = status


def _describe(value: Any) -> str:
    return "bytes" if isinstance(value, bytes) else describe_type(value)


def _names(names: Any) -> str:
    return ", ".join(f"'{name}'" for name in names) or "none"


def field_kind(schema: Any) -> str | None:
    """Name the tensor kind of one property's JSON Schema; None when it is not a scalar."""
    if not isinstance(schema, dict) or any(
            key in schema for key in ("$ref", "anyOf", "oneOf", "allOf", "not")):
        return None
    types = schema.get("type")
    if types is None:
        return _enum_kind(schema.get("enum"))
    types = [types] if isinstance(types, str) else [t for t in types if t != "null"]
    if len(types) != 1:
        return None
    kind = types[0]
    if kind == "string":
        return "media" if schema.get("contentEncoding") == "base64" else "string"
    return kind if kind in ("number", "integer", "boolean") else None


def _enum_kind(values: Any) -> str | None:
    values = [v for v in values if v is not None] if isinstance(values, list) else []
    if not values:
        return None
    for kind, test in (("boolean", lambda v: type(v) is bool), ("string", lambda v: type(v) is str),
                       ("integer", lambda v: type(v) is int),
                       ("number", lambda v: type(v) in (int, float))):
        if all(map(test, values)):
            return kind
    return None


def _nullable(schema: dict) -> bool:
    types = schema.get("type")
    return (isinstance(types, list) and "null" in types) or None in (schema.get("enum") or ())


def _why_not_tensor(schema: Any) -> str:
    types = schema.get("type") if isinstance(schema, dict) else None
    if isinstance(types, list):
        types = [t for t in types if t != "null"]
        types = types[0] if len(types) == 1 else None
    return {"object": "an object", "array": "an array"}.get(types, "not of one scalar JSON type")


def _fixed_object(schema: Any) -> bool:
    """Tell whether an output object has a fixed set of properties (so: dotted tensors)."""
    return (isinstance(schema, dict) and _why_not_tensor(schema) == "an object"
            and schema.get("additionalProperties") is False and not schema.get("patternProperties")
            and isinstance(schema.get("properties"), dict) and bool(schema["properties"]))


@dataclass(frozen=True, slots=True)
class TensorSpec:
    """One tensor of a model: its name, where its value sits in a row, and its kind."""

    name: str
    path: tuple[str, ...]
    kind: str
    nullable: bool = False
    # From the kind, once (read per tensor of every request).
    datatype: str = field(init=False)
    accepted: frozenset = field(init=False)
    content_type: str | None = field(init=False)

    def __post_init__(self) -> None:
        datatype, accepted, content_type = KINDS[self.kind]
        object.__setattr__(self, "datatype", datatype)
        object.__setattr__(self, "accepted", accepted)
        object.__setattr__(self, "content_type", content_type)

    def metadata(self) -> dict:
        tensor = {"name": self.name, "datatype": self.datatype, "shape": [-1]}
        if self.content_type:
            tensor["parameters"] = {"content_type": self.content_type}
        return tensor

    def value(self, row: dict) -> Any:
        """The value of this tensor in one result row, or ``_MISSING``."""
        path = self.path
        if len(path) == 1:
            return row.get(path[0], _MISSING) if isinstance(row, dict) else _MISSING
        value = row
        for key in path:
            if not isinstance(value, dict):
                return _MISSING
            value = value.get(key, _MISSING)
        return value


@dataclass(slots=True)  # not frozen: one is made per request, and frozen init costs 1 us more
class InferRequest:
    """A decoded infer request: the rows for the model and what the response must contain."""

    rows: list[dict]
    id: str | None
    outputs: tuple[str, ...]  # names of the output tensors to return, in order
    requested: bool  # the client named the outputs
    binary_outputs: frozenset  # outputs the client asked for as binary data (the extension)
    content_type: str | None  # request-level content type, echoed in the response


def _element(spec: TensorSpec, value: Any) -> Any:
    """One row's value of an output tensor as its element: null when the row has none, JSON
    text for a ``json`` (BYTES) output, else the value itself."""
    if value is _MISSING or value is None:
        return None
    return orjson.dumps(value).decode() if spec.kind == "json" else value


def _row_template(spec: TensorSpec) -> tuple[bytes, bytes]:
    """The bytes before and after the value of ``spec``'s tensor in a one-row answer."""
    prefix = (b'{"name":' + orjson.dumps(spec.name) + b',"datatype":' + orjson.dumps(spec.datatype)
              + b',"shape":[1],"data":[')
    if spec.content_type:
        return prefix, b'],"parameters":{"content_type":' + orjson.dumps(spec.content_type) + b"}}"
    return prefix, b"]}"


def _output_specs(schema: dict, prefix: tuple = (), depth: int = 0) -> list[TensorSpec]:
    specs = []
    for key, prop in (schema.get("properties") or {}).items():
        path = (*prefix, key)
        kind = field_kind(prop)
        if kind is None and _fixed_object(prop) and depth < MAX_DIMENSIONS:
            specs.extend(_output_specs(prop, path, depth + 1))
        else:
            specs.append(TensorSpec(".".join(path), path, kind or "json",
                                    isinstance(prop, dict) and _nullable(prop)))
    return specs


class TensorMapping:
    """The V2 view of one model, built once from its published input and output JSON Schemas."""

    def __init__(self, input_schema: dict, output_schema: dict) -> None:
        self.inputs: dict[str, TensorSpec] = {}
        self.non_tensor_inputs: dict[str, str] = {}  # name -> why it is not a tensor
        properties = input_schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        for name, prop in properties.items():
            kind = field_kind(prop)
            if kind is None or kind == "json":
                self.non_tensor_inputs[name] = _why_not_tensor(prop)
            else:
                self.inputs[name] = TensorSpec(name, (name,), kind, _nullable(prop))
        self.required = tuple(name for name in input_schema.get("required", ()) if name in properties)
        self.unavailable = self._unavailable_reason(input_schema)
        self.outputs = {spec.name: spec for spec in _output_specs(output_schema)}
        # Each output tensor of a one-row answer as the bytes around its value (``encode_row``).
        self._row_templates = [(spec, *_row_template(spec)) for spec in self.outputs.values()]
        self._heads: dict[tuple[str, str | None], bytes] = {}

    def _unavailable_reason(self, input_schema: dict) -> str | None:
        if input_schema.get("type") != "object" or not isinstance(input_schema.get("properties"),
                                                                   dict):
            return "its input is not an object of named fields"
        blocking = [name for name in self.required if name in self.non_tensor_inputs]
        if not blocking:
            return None
        reasons = "; ".join(f"'{name}' is {self.non_tensor_inputs[name]}" for name in blocking)
        return (f"required input{'s' if len(blocking) > 1 else ''} cannot be a V2 tensor "
                f"({reasons}); use the native predict endpoint")

    def metadata(self, name: str, versions: list[str]) -> dict:
        """Build the V2 model metadata response for this model hosted under ``name``."""
        parameters: dict[str, Any] = {"nested_outputs": "dotted"}
        if self.non_tensor_inputs:
            parameters["non_tensor_inputs"] = ",".join(self.non_tensor_inputs)
        if self.unavailable:
            parameters["infer_unavailable"] = f"Model '{name}' cannot infer over V2: {self.unavailable}."
        return {
            "name": name,
            "versions": list(versions),
            "platform": PLATFORM,
            "inputs": [spec.metadata() for spec in self.inputs.values()],
            "outputs": [spec.metadata() for spec in self.outputs.values()],
            "parameters": parameters,
        }

    # -- requests ---------------------------------------------------------------------------

    def decode(self, body: Any, *, max_rows: int, binary: bytes | None = None) -> InferRequest:
        """Turn a parsed infer request into rows; raise :class:`CodecError` naming what is wrong.

        ``binary`` is the part of the body after the JSON header when the client used the binary
        tensor extension (``Inference-Header-Content-Length``); inputs with a
        ``binary_data_size`` parameter take their data from it, in order.
        """
        if not isinstance(body, dict):
            raise CodecError(f"The request body must be a JSON object, not {_describe(body)}.")
        if self.unavailable:
            raise CodecError(f"This model cannot infer over V2: {self.unavailable}.")
        request_id = body.get("id")
        if request_id is not None and not isinstance(request_id, str):
            raise CodecError(f"'id' must be a string, not {_describe(request_id)}.")
        parameters = _parameters(body, "The request")
        content_type = parameters.get("content_type")
        if content_type not in REQUEST_CONTENT_TYPES:
            raise CodecError(f"Request content_type {content_type!r} is not supported; send "
                             "'pd' (each input a column) or none.")
        inputs = body.get("inputs")
        if not isinstance(inputs, list) or not inputs:
            raise CodecError("'inputs' must be a non-empty list of input tensors.")

        tail = memoryview(binary) if binary is not None else None
        offset, rows_count, first = 0, None, None
        columns: dict[str, list] = {}
        for position, tensor in enumerate(inputs):
            name = tensor.get("name") if isinstance(tensor, dict) else None
            if not isinstance(name, str):
                raise CodecError(f"Input {position} must be an object with a string 'name'.")
            if name in columns:
                raise CodecError(f"Input '{name}' is given twice.")
            spec = self.inputs.get(name) or self._input_spec(name)
            shape = tensor.get("shape")
            if type(shape) is list and len(shape) == 1 and type(shape[0]) is int and (
                    0 <= shape[0] <= max_rows):  # the usual [N], inline: two calls less per input
                count = shape[0]
            else:
                count = self._rows_of(name, shape, max_rows)
            if rows_count is None:
                rows_count, first = count, name
            elif count != rows_count:
                raise CodecError(
                    f"Input '{name}' has {count} rows but input '{first}' has {rows_count}: "
                    "every input holds one value per row, batch first.")
            input_parameters = _parameters(tensor, f"Input '{name}'") \
                if "parameters" in tensor else _NO_PARAMETERS
            datatype = tensor.get("datatype")
            if datatype not in spec.accepted:
                _datatype(name, datatype, spec)  # raises, saying why
            size = input_parameters.get("binary_data_size")
            if size is not None:
                if "data" in tensor:
                    raise CodecError(f"Input '{name}' has both 'data' and binary_data_size.")
                if tail is None:
                    raise CodecError(
                        f"Input '{name}' has binary_data_size but the request has no "
                        "Inference-Header-Content-Length header, so there is no binary part.")
                if type(size) is not int or size < 0 or offset + size > len(tail):
                    raise CodecError(
                        f"Input '{name}' has binary_data_size {size!r}, but the binary part has "
                        f"{len(tail) - offset} bytes left.")
                values = read_binary_tensor(name, datatype, tail[offset:offset + size], count)
                offset += size
            else:
                values = tensor.get("data", _MISSING)
                if type(values) is not list or len(values) != count or (
                        count and type(values[0]) is list):
                    values = _flatten(name, values, shape)
            columns[name] = _convert(spec, datatype, values, input_parameters.get("content_type"),
                                     name)
        if tail is not None and offset != len(tail):
            raise CodecError(f"The binary part has {len(tail) - offset} bytes that no input's "
                             "binary_data_size accounts for.")
        missing = [name for name in self.required if name not in columns]
        if missing:
            raise CodecError(f"Missing required input{'s' if len(missing) > 1 else ''} "
                             f"{_names(missing)}; the model's inputs are {_names(self.inputs)}.")
        names = list(columns)
        rows = [dict(zip(names, values)) for values in zip(*columns.values())]
        outputs, requested, binary_outputs = self._requested_outputs(body, parameters)
        return InferRequest(rows, request_id, outputs, requested, binary_outputs, content_type)

    def plain_row(self, body: Any) -> dict | None:
        """The row of the plainest one-row request, or None for anything else.

        Plainest: ``inputs`` only, each tensor exactly ``name``, ``datatype`` (its kind's own:
        FP64, INT64 or BOOL), ``shape`` ``[1]`` and one value of that datatype (a finite float,
        an INT64 integer, a boolean), every required input given once. That is what the JSON
        clients send for one row, and it needs none of ``decode``'s general steps; the row is
        the one ``decode`` would make. Anything else, right or wrong, returns None and takes
        ``decode``, which reads it or says what is wrong. About half ``decode``'s time for
        iris's four tensors (1.7 against 5.1 us, in-process).
        """
        if type(body) is not dict or len(body) != 1 or self.unavailable:
            return None
        inputs = body.get("inputs")
        if type(inputs) is not list:
            return None
        specs, row = self.inputs, {}
        for tensor in inputs:
            if type(tensor) is not dict or len(tensor) != 4:
                return None
            name = tensor.get("name")
            spec = specs.get(name) if type(name) is str else None
            data = tensor.get("data")
            if spec is None or name in row or tensor.get("shape") != [1] \
                    or type(data) is not list or len(data) != 1 \
                    or tensor.get("datatype") != spec.datatype:
                return None
            value = data[0]
            kind = type(value)
            if spec.kind == "number":
                if kind is not float or not abs(value) <= _FLOAT_LARGEST["FP64"]:
                    return None
            elif spec.kind == "integer":
                if kind is not int or not _INT64_LOW <= value <= _INT64_HIGH:
                    return None
            elif spec.kind != "boolean" or kind is not bool:
                return None
            row[name] = value
        for name in self.required:
            if name not in row:
                return None
        return row

    def encode_row(self, result: dict, model_name: str, model_version: str | None) -> bytes:
        """The JSON response to a ``plain_row`` request: ``encode`` of its one result, written as
        bytes around each value (the same bytes ``orjson.dumps(encode(...))`` gives)."""
        head = self._heads.get((model_name, model_version))
        if head is None:
            head = b'{"model_name":' + orjson.dumps(model_name) + (
                b',"model_version":' + orjson.dumps(model_version)
                if model_version is not None else b"") + b',"outputs":['
            self._heads[(model_name, model_version)] = head
        parts = []
        for spec, prefix, suffix in self._row_templates:
            value = spec.value(result)
            if value is _MISSING:
                continue  # an optional output this row does not have, and nobody asked for
            parts.append(prefix + orjson.dumps(_element(spec, value)) + suffix)
        return head + b",".join(parts) + b"]}"

    def _input_spec(self, name: str) -> TensorSpec:
        spec = self.inputs.get(name)
        if spec is not None:
            return spec
        if name in self.non_tensor_inputs:
            raise CodecError(f"Input '{name}' is {self.non_tensor_inputs[name]}, which a V2 "
                             "tensor cannot carry; use the native predict endpoint.")
        raise CodecError(f"Unknown input '{name}'; the model's inputs are {_names(self.inputs)}.")

    @staticmethod
    def _rows_of(name: str, shape: Any, max_rows: int) -> int:
        """Check an input's shape and return its batch size, before touching its data."""
        if (not isinstance(shape, list) or not shape or len(shape) > MAX_DIMENSIONS
                or any(type(d) is not int or d < 0 for d in shape)):
            raise CodecError(f"Input '{name}' needs a 'shape': a list of 1 to {MAX_DIMENSIONS} "
                             "non-negative integers, batch first, like [N] or [N, 1].")
        if any(d != 1 for d in shape[1:]):
            raise CodecError(f"Input '{name}' has shape {shape}, but each row holds one value of "
                             "it: the shape must be [N] or [N, 1].")
        if shape[0] > max_rows:
            raise CodecError(f"A request holds at most {max_rows} rows; input '{name}' has "
                             f"{shape[0]}.", status=413)
        return shape[0]

    def _requested_outputs(self, body: dict, parameters: dict) -> tuple[tuple, bool, frozenset]:
        binary_default = parameters.get("binary_data_output") is True
        outputs = body.get("outputs")
        if outputs is None:
            names = tuple(self.outputs)
            return names, False, frozenset(names if binary_default else ())
        if not isinstance(outputs, list):
            raise CodecError("'outputs' must be a list of objects with a 'name'.")
        names, binary = [], set()
        for position, output in enumerate(outputs):
            name = output.get("name") if isinstance(output, dict) else None
            if not isinstance(name, str):
                raise CodecError(f"Requested output {position} must be an object with a string "
                                 "'name'.")
            if name not in self.outputs:
                raise CodecError(f"Unknown output '{name}'; the model's outputs are "
                                 f"{_names(self.outputs)}.")
            output_parameters = _parameters(output, f"Requested output '{name}'")
            if output_parameters.get("binary_data", binary_default) is True:
                binary.add(name)
            if name not in names:
                names.append(name)
        return tuple(names), True, frozenset(binary)

    # -- responses --------------------------------------------------------------------------

    def encode(self, request: InferRequest, results: list[dict], model_name: str,
               model_version: str | None) -> dict:
        """Turn the model's result rows (already checked and dumped) into a V2 response.

        An output that no row has (an optional field) is left out unless the client asked
        for it by name; a row without it gets ``null``.
        """
        outputs = []
        shape = [len(results)]
        single = results[0] if len(results) == 1 else None  # the usual request: one row
        for name in request.outputs:
            spec = self.outputs[name]
            if single is not None:  # spelled out: no comprehension for one value
                value = spec.value(single)
                if value is _MISSING and not request.requested:
                    continue
                data = [_element(spec, value)]
            else:
                values = [spec.value(row) for row in results]
                if not request.requested and values and all(v is _MISSING for v in values):
                    continue
                data = [_element(spec, v) for v in values]
            tensor = {"name": name, "datatype": spec.datatype, "shape": shape, "data": data}
            if spec.content_type:
                tensor["parameters"] = {"content_type": spec.content_type}
            outputs.append(tensor)
        response: dict[str, Any] = {"model_name": model_name}
        if model_version is not None:
            response["model_version"] = model_version
        if request.id is not None:
            response["id"] = request.id
        if request.content_type:
            response["parameters"] = {"content_type": request.content_type}
        response["outputs"] = outputs
        return response


# A V2 error is one string; past this many field messages it says how many more there are.
MAX_LISTED_ERRORS = 5


def field_errors_message(detail: str, errors: Any, by_row: bool) -> str:
    """Flatten a schema violation's field errors into V2's one-line ``error`` (a 400 there).

    ``errors`` is the native API's nested ``{field: [messages]}``, keyed first by row index when
    ``by_row`` (a batch), so the message names the row and the input of each problem.
    """
    found = [_where(list(path), by_row) + message for path, message in flatten_errors(errors)]
    shown = found[:MAX_LISTED_ERRORS]
    more = len(found) - len(shown)
    return " ".join([detail, *shown] + ([f"({more} more.)"] if more > 0 else []))


def _where(path: list[str], by_row: bool) -> str:
    row, path = (path[0], path[1:]) if by_row and path else (None, path)
    parts = ([f"row {row}"] if row is not None else []) + (
        [f"input '{'.'.join(path)}'"] if path else [])
    where = ", ".join(parts)
    return f"{where[:1].upper()}{where[1:]}: " if parts else ""


def _parameters(owner: dict, what: str) -> dict:
    parameters = owner.get("parameters")
    if parameters is None:
        return {}
    if not isinstance(parameters, dict):
        raise CodecError(f"{what}: 'parameters' must be an object, not {_describe(parameters)}.")
    for key, why in _UNSUPPORTED_PARAMETERS.items():
        if key in parameters:
            raise CodecError(f"{what}: parameter '{key}' cannot be honoured: {why}.")
    return parameters


def _datatype(name: str, datatype: Any, spec: TensorSpec) -> str:
    accepted = KINDS[spec.kind][1]
    if datatype in accepted:
        return datatype
    if datatype not in DATATYPES:
        raise CodecError(f"Input '{name}' has datatype {datatype!r}; V2 datatypes are "
                         f"{', '.join(DATATYPES)}.")
    allowed = spec.datatype + (f" (or {', '.join(sorted(accepted - {spec.datatype}))})"
                               if len(accepted) > 1 else "")
    raise CodecError(f"Input '{name}' is {_KIND_WORDS[spec.kind]}: its datatype is {allowed}, "
                     f"not {datatype}.")


def _flatten(name: str, data: Any, shape: list[int]) -> list:
    """Return the elements of ``data`` in row-major order, checked against ``shape``.

    Data is flat (``[1, 2]`` for shape ``[2, 1]``) or nested exactly as the shape says
    (``[[1], [2]]``). The walk is as deep as the shape, never deeper, and visits each element
    once, so hostile nesting costs no more than reading the body.
    """
    if data is _MISSING:
        raise CodecError(f"Input '{name}' has no 'data'.")
    if not isinstance(data, list):
        raise CodecError(f"Input '{name}': 'data' must be an array, not {_describe(data)}.")
    count = shape[0]  # the other dimensions are ones
    if len(data) != count or (count and len(shape) > 1 and type(data[0]) is list):
        level = [data]
        for depth, size in enumerate(shape):
            next_level = []
            for item in level:
                if type(item) is not list or len(item) != size:
                    raise CodecError(
                        f"Input '{name}' has shape {shape} but its data does not match: give "
                        f"{count} values, flat in row-major order or nested as the shape says "
                        f"(dimension {depth} holds {_size_of(item)}).")
                next_level.extend(item)
            level = next_level
        data = level
    return data


def _size_of(item: Any) -> str:
    return f"{len(item)} items" if type(item) is list else _describe(item)


def _convert(spec: TensorSpec, datatype: str, values: list, content_type: Any, name: str) -> list:
    """Check each element against its datatype and return the row values for the schema."""
    if datatype == "BYTES":
        if content_type == "base64":
            return _bytes_values(spec, values, name, base64_elements=True)
        if content_type not in _PLAIN_INPUT_CONTENT_TYPES:
            raise CodecError(f"Input '{name}' has content_type {content_type!r}; a {spec.kind} "
                             "input takes 'str' or 'base64' BYTES.")
        return _bytes_values(spec, values, name, base64_elements=False)
    if content_type not in _PLAIN_INPUT_CONTENT_TYPES:
        raise CodecError(f"Input '{name}' has content_type {content_type!r}, which a "
                         f"{datatype} tensor cannot have.")
    largest = _FLOAT_LARGEST.get(datatype)
    if largest is not None:  # the usual case, floats finite and in range, kept as they came
        if len(values) == 1:
            value = values[0]
            if type(value) is float and abs(value) <= largest:
                return values
        elif all(type(value) is float and abs(value) <= largest for value in values):
            return values
    nullable = spec.nullable
    if datatype == "BOOL":
        return [_boolean(name, index, value, nullable) for index, value in enumerate(values)]
    if datatype in INTEGER_RANGES:
        low, high = INTEGER_RANGES[datatype]
        converted = []
        for index, value in enumerate(values):
            if type(value) is float and value.is_integer():  # see _boolean: clients send 7.0
                value = int(value)
            if type(value) is int:
                if not low <= value <= high:
                    raise CodecError(f"Input '{name}' element {index} is {value}, outside "
                                     f"{datatype}'s range {low} to {high}.")
                if spec.kind == "number":  # widen: the row holds numbers, as marshmallow loads
                    value = float(value)
            elif not (value is None and nullable):
                _element_error(name, index, value, "an integer")
            converted.append(value)
        return converted
    limit = FLOAT_LIMITS[datatype]
    converted = []
    for index, value in enumerate(values):
        kind, given = type(value), value
        if kind is int:
            try:
                value = float(value)
            except OverflowError:
                value = math.inf
            kind = float
        if kind is float:
            if value - value != 0 or abs(value) > limit:  # NaN and infinities give NaN
                what = "not finite" if value - value != 0 else (
                    f"outside {datatype}'s range (largest magnitude {limit:g})")
                raise CodecError(f"Input '{name}' element {index} is {given!r}: {what}.")
        elif not (value is None and nullable):
            _element_error(name, index, value, "a number")
        converted.append(value)
    return converted


def _boolean(name: str, index: int, value: Any, nullable: bool) -> bool | None:
    """Read a BOOL element: true or false, or 1 or 0 as a number.

    The open-inference OpenAPI client's pydantic models turn every element into a float before
    sending (``true`` goes out as ``1.0``, ``7`` as ``7.0``), so numbers that are exactly 0 or 1
    (and whole numbers in integer tensors) are read as what they stand for.
    """
    if type(value) is bool or (value is None and nullable):
        return value
    if type(value) in (int, float) and value in (0, 1):
        return value == 1
    _element_error(name, index, value, "true or false")


def _element_error(name: str, index: int, value: Any, expected: str) -> None:
    shown = repr(value) if isinstance(value, (str, bytes)) and len(value) <= 40 else _describe(value)
    raise CodecError(f"Input '{name}' element {index} is {shown}; expected {expected}.")


def _bytes_values(spec: TensorSpec, values: list, name: str, base64_elements: bool) -> list:
    media, nullable = spec.kind == "media", spec.nullable
    converted = []
    for index, value in enumerate(values):
        if value is None and nullable:
            converted.append(None)
            continue
        if type(value) is bytes:  # from the binary extension: raw bytes
            if media and not base64_elements:
                value = base64.b64encode(value).decode("ascii")
            else:
                value = _utf8(name, index, value)
        elif type(value) is not str:
            _element_error(name, index, value, "a string")
        if base64_elements and not media:  # MLServer's base64 codec: the text is base64 of bytes
            try:
                value = _utf8(name, index, base64.b64decode(value, validate=True))
            except (binascii.Error, ValueError):
                raise CodecError(f"Input '{name}' element {index} is not valid base64, as its "
                                 "content_type 'base64' says.") from None
        converted.append(value)
    return converted


def _utf8(name: str, index: int, value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise CodecError(f"Input '{name}' element {index} is not UTF-8 text.") from None


def read_binary_tensor(name: str, datatype: str, chunk: memoryview, count: int) -> list:
    """Decode one input's bytes from the binary tensor extension into ``count`` Python values.

    Fixed-size types must fill the chunk exactly; BYTES elements are each a 4-byte little-endian
    length and the bytes. Every length is checked against the bytes left, so a hostile length
    costs nothing, and reading stops after ``count`` elements.
    """
    if datatype == "BYTES":
        return _read_bytes_elements(name, bytes(chunk), count)
    dtype = np.dtype(NUMPY_DTYPES[datatype])
    if len(chunk) != count * dtype.itemsize:
        raise CodecError(f"Input '{name}' has {len(chunk)} bytes of binary data, but {count} "
                         f"{datatype} values take {count * dtype.itemsize}.")
    array = np.frombuffer(chunk, dtype)
    if datatype == "BOOL":
        if count and int(array.max()) > 1:
            raise CodecError(f"Input '{name}' has a BOOL byte that is neither 0 nor 1.")
        return array.astype(bool).tolist()
    return array.tolist()


def _read_bytes_elements(name: str, data: bytes, count: int) -> list[bytes]:
    values, offset, end = [], 0, len(data)
    while offset < end:
        if len(values) == count:
            raise CodecError(f"Input '{name}' has more than {count} BYTES elements in its binary "
                             "data.")
        if offset + 4 > end:
            raise CodecError(f"Input '{name}': its binary BYTES data ends inside a length prefix.")
        (length,) = struct.unpack_from("<I", data, offset)
        offset += 4
        if offset + length > end:
            raise CodecError(f"Input '{name}': BYTES element {len(values)} claims {length} "
                             f"bytes but {end - offset} are left.")
        values.append(data[offset:offset + length])
        offset += length
    if len(values) != count:
        raise CodecError(f"Input '{name}' has {len(values)} BYTES elements in its binary data; "
                         f"its shape says {count}.")
    return values
