"""The V2 (Open Inference Protocol) codec: schemas to tensor metadata, tensors to rows and back."""
from __future__ import annotations

import base64
import math
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import orjson
import pytest
import tritonclient.http as triton
from fixture_models.echo_model import EchoInput
from fixture_models.rich_model import RichModel
from helpers import IRIS_FEATURES
from open_inference.openapi import (
    InferenceRequest,
    InferenceResponse,
    MetadataModelResponse,
    RequestInput,
)
from open_inference.openapi.core.jsonable_encoder import jsonable_encoder
from tritonclient.http._utils import _get_inference_request

from iris_model import IrisModel
from model_service.protocols.v2 import binary
from model_service.protocols.v2.codec import CodecError, TensorMapping, field_errors_message
from model_service.core.schema import to_json_schema
from model_service.core.validation import SchemaValidator, model_json_schemas

IRIS_ROWS = [IrisModel.examples[0], IrisModel.examples[1]]
MAX_ROWS = 100

# A hand-written pair of schemas with every kind the mapping knows.
KINDS_INPUT = {
    "type": "object",
    "properties": {
        "ratio": {"type": "number"},
        "count": {"type": "integer", "minimum": 0},
        "flag": {"type": "boolean"},
        "name": {"type": "string"},
        "plan": {"type": "string", "enum": ["basic", "plus"]},
        "level": {"enum": [1, 2, 3]},
        "photo": {"type": "string", "contentEncoding": "base64", "contentMediaType": "image/png"},
        "weight": {"type": ["number", "null"]},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["ratio"],
    "additionalProperties": False,
}
KINDS_OUTPUT = {
    "type": "object",
    "properties": {
        "label": {"type": "string"},
        "score": {"type": "number"},
        "votes": {"type": "integer"},
        "thumbnail": {"type": "string", "contentEncoding": "base64"},
        "detail": {
            "type": "object",
            "properties": {
                "ok": {"type": "boolean"},
                "inner": {"type": "object", "properties": {"depth": {"type": "integer"}},
                          "additionalProperties": False},
            },
            "additionalProperties": False,
        },
        "extras": {"type": "object", "additionalProperties": {}},
        "history": {"type": "array", "items": {"type": "number"}},
        "note": {"type": "string"},
    },
    "required": ["label", "score"],
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def iris():
    return TensorMapping(*model_json_schemas("iris_model", IrisModel))


@pytest.fixture(scope="module")
def kinds():
    return TensorMapping(KINDS_INPUT, KINDS_OUTPUT)


def column(name, datatype, data, shape=None, **parameters):
    tensor = {"name": name, "datatype": datatype, "shape": shape or [len(data)], "data": data}
    if parameters:
        tensor["parameters"] = parameters
    return tensor


def iris_request(rows=IRIS_ROWS, datatype="FP64", **extra):
    return {"inputs": [column(name, datatype, [row[name] for row in rows])
                       for name in IRIS_FEATURES], **extra}


def refused(mapping, body, binary_part=None, max_rows=MAX_ROWS) -> CodecError:
    with pytest.raises(CodecError) as caught:
        mapping.decode(body, max_rows=max_rows, binary=binary_part)
    return caught.value


def triton_body(inputs, outputs=None, request_id=""):
    """Build a request body exactly as tritonclient's InferenceServerClient.infer sends it."""
    body, json_size = _get_inference_request(
        inputs=inputs, request_id=request_id, outputs=outputs, sequence_id=0,
        sequence_start=False, sequence_end=False, priority=0, timeout=None,
        custom_parameters=None)
    return body, None if json_size is None else str(json_size)


def triton_input(name, array, datatype, binary_data=True):
    tensor = triton.InferInput(name, list(array.shape), datatype)
    return tensor.set_data_from_numpy(array, binary_data=binary_data)


# -- metadata --------------------------------------------------------------------------------


def test_iris_metadata_lists_four_fp64_inputs_and_dotted_probability_outputs(iris):
    assert iris.metadata("iris_model", ["1.0.0"]) == {
        "name": "iris_model",
        "versions": ["1.0.0"],
        "platform": "model-service",
        "inputs": [{"name": name, "datatype": "FP64", "shape": [-1]} for name in IRIS_FEATURES],
        "outputs": [
            {"name": "species", "datatype": "BYTES", "shape": [-1],
             "parameters": {"content_type": "str"}},
            {"name": "probabilities.setosa", "datatype": "FP64", "shape": [-1]},
            {"name": "probabilities.versicolor", "datatype": "FP64", "shape": [-1]},
            {"name": "probabilities.virginica", "datatype": "FP64", "shape": [-1]},
        ],
        "parameters": {"nested_outputs": "dotted"},
    }


def test_metadata_maps_each_json_type_to_its_datatype(kinds):
    metadata = kinds.metadata("kinds", ["2"])
    assert {t["name"]: (t["datatype"], t.get("parameters", {}).get("content_type"))
            for t in metadata["inputs"]} == {
        "ratio": ("FP64", None), "count": ("INT64", None), "flag": ("BOOL", None),
        "name": ("BYTES", "str"), "plan": ("BYTES", "str"), "level": ("INT64", None),
        "photo": ("BYTES", "base64"), "weight": ("FP64", None),
    }
    assert metadata["parameters"] == {"nested_outputs": "dotted", "non_tensor_inputs": "tags"}


def test_metadata_flattens_fixed_output_objects_and_sends_lists_and_open_objects_as_json(kinds):
    outputs = {t["name"]: (t["datatype"], t.get("parameters", {}).get("content_type"))
               for t in kinds.metadata("kinds", ["2"])["outputs"]}
    assert outputs == {
        "label": ("BYTES", "str"), "score": ("FP64", None), "votes": ("INT64", None),
        "thumbnail": ("BYTES", "base64"), "detail.ok": ("BOOL", None),
        "detail.inner.depth": ("INT64", None), "extras": ("BYTES", "pd_json"),
        "history": ("BYTES", "pd_json"), "note": ("BYTES", "str"),
    }


def test_a_required_object_input_makes_infer_unavailable_and_metadata_says_why():
    mapping = TensorMapping(*model_json_schemas("rich_model", RichModel))
    parameters = mapping.metadata("rich_model", ["2.1.0"])["parameters"]
    assert parameters["non_tensor_inputs"] == "tags,address"
    assert "'address' is an object" in parameters["infer_unavailable"]
    error = refused(mapping, {"inputs": [column("age", "INT64", [30])]})
    assert error.status == 400
    assert "cannot infer over V2" in error.detail and "'address' is an object" in error.detail


def test_an_optional_array_input_leaves_infer_available_but_cannot_be_sent(kinds):
    assert "infer_unavailable" not in kinds.metadata("kinds", ["2"])["parameters"]
    error = refused(kinds, {"inputs": [column("ratio", "FP64", [0.5]),
                                       column("tags", "BYTES", ["a"])]})
    assert "Input 'tags' is an array, which a V2 tensor cannot carry" in error.detail


# -- requests to rows ------------------------------------------------------------------------


def test_iris_rows_decode_from_fp64_columns(iris):
    decoded = iris.decode(iris_request(id="42"), max_rows=MAX_ROWS)
    assert decoded.rows == IRIS_ROWS
    assert decoded.id == "42"
    assert decoded.outputs == ("species", "probabilities.setosa", "probabilities.versicolor",
                               "probabilities.virginica")


@pytest.mark.parametrize("shape, data", [
    ([2], [5.1, 6.7]),
    ([2, 1], [5.1, 6.7]),
    ([2, 1], [[5.1], [6.7]]),
    ([2, 1, 1], [[[5.1]], [[6.7]]]),
])
def test_data_may_be_flat_or_nested_as_its_shape_says(iris, shape, data):
    body = {"inputs": [column(name, "FP64", data, shape) for name in IRIS_FEATURES]}
    assert [row["sepal_length"] for row in iris.decode(body, max_rows=MAX_ROWS).rows] == [5.1, 6.7]


def test_number_inputs_accept_narrower_floats_and_integers_as_floats(iris):
    body = {"inputs": [column("sepal_length", "FP32", [1]), column("sepal_width", "FP16", [2.5]),
                       column("petal_length", "INT8", [3]), column("petal_width", "UINT64", [0])]}
    row = iris.decode(body, max_rows=MAX_ROWS).rows[0]
    assert row == {"sepal_length": 1.0, "sepal_width": 2.5, "petal_length": 3.0,
                   "petal_width": 0.0}
    assert all(type(value) is float for value in row.values())
    validator = SchemaValidator.for_schema(IrisModel.input_schema)
    assert validator.errors(row) is None


@pytest.mark.parametrize("datatype", ["INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16",
                                      "UINT32", "UINT64"])
def test_integer_inputs_accept_every_integer_width_and_stay_integers(datatype):
    mapping = TensorMapping(to_json_schema(EchoInput), {"type": "object", "properties": {}})
    rows = mapping.decode({"inputs": [column("value", datatype, [7, 8.0])]},
                          max_rows=MAX_ROWS).rows
    assert rows == [{"value": 7}, {"value": 8}] and all(type(r["value"]) is int for r in rows)
    assert all(SchemaValidator.for_schema(EchoInput).errors(row) is None for row in rows)


def test_every_kind_decodes_to_its_json_value(kinds):
    body = {"inputs": [
        column("ratio", "FP64", [0.5, 1.5]), column("count", "INT32", [1, 2]),
        column("flag", "BOOL", [True, False]), column("name", "BYTES", ["ann", "bé"]),
        column("plan", "BYTES", ["basic", "plus"]), column("level", "UINT8", [1, 3]),
        column("photo", "BYTES", ["iVBORw0KGgo=", "data:image/png;base64,iVBORw0KGgo="]),
        column("weight", "FP64", [None, 70.5]),
    ]}
    assert kinds.decode(body, max_rows=MAX_ROWS).rows == [
        {"ratio": 0.5, "count": 1, "flag": True, "name": "ann", "plan": "basic", "level": 1,
         "photo": "iVBORw0KGgo=", "weight": None},
        {"ratio": 1.5, "count": 2, "flag": False, "name": "bé", "plan": "plus", "level": 3,
         "photo": "data:image/png;base64,iVBORw0KGgo=", "weight": 70.5},
    ]


def test_optional_inputs_may_be_left_out_of_the_rows(kinds):
    rows = kinds.decode({"inputs": [column("ratio", "FP64", [0.5])]}, max_rows=MAX_ROWS).rows
    assert rows == [{"ratio": 0.5}]


def test_an_empty_batch_decodes_to_no_rows(iris):
    assert iris.decode(iris_request(rows=[]), max_rows=MAX_ROWS).rows == []


def test_base64_content_type_decodes_string_inputs_and_passes_media_through(kinds):
    body = {"inputs": [column("ratio", "FP64", [0.5]),
                       column("name", "BYTES", [base64.b64encode("bé".encode()).decode()],
                              content_type="base64"),
                       column("photo", "BYTES", ["iVBORw0KGgo="], content_type="base64")]}
    assert kinds.decode(body, max_rows=MAX_ROWS).rows == [
        {"ratio": 0.5, "name": "bé", "photo": "iVBORw0KGgo="}]


def test_pandas_content_type_reads_each_input_as_a_column_and_is_echoed(kinds):
    # The shape of MLServer's PandasCodec.encode_request: [N, 1] columns, strings tagged "str".
    body = {
        "parameters": {"content_type": "pd"},
        "inputs": [
            {"name": "ratio", "shape": [2, 1], "datatype": "FP64", "data": [0.25, 0.75]},
            {"name": "count", "shape": [2, 1], "datatype": "INT64", "data": [4, 5]},
            {"name": "name", "shape": [2, 1], "datatype": "BYTES", "data": ["a", "b"],
             "parameters": {"content_type": "str"}},
        ],
    }
    decoded = kinds.decode(body, max_rows=MAX_ROWS)
    assert decoded.rows == [{"ratio": 0.25, "count": 4, "name": "a"},
                            {"ratio": 0.75, "count": 5, "name": "b"}]
    response = kinds.encode(decoded, [{"label": "x", "score": 1.0}] * 2, "kinds", "2")
    assert response["parameters"] == {"content_type": "pd"}


# -- rows to responses -----------------------------------------------------------------------


def test_iris_round_trip_gives_the_native_predictions_as_tensors(iris):
    decoded = iris.decode(iris_request(id="r-1"), max_rows=MAX_ROWS)
    model = IrisModel()
    results = model.predict_batch(decoded.rows)
    response = iris.encode(decoded, results, "iris_model", "1.0.0")
    assert response["model_name"] == "iris_model" and response["model_version"] == "1.0.0"
    assert response["id"] == "r-1"
    by_name = {tensor["name"]: tensor for tensor in response["outputs"]}
    assert by_name["species"] == {"name": "species", "datatype": "BYTES", "shape": [2],
                                  "data": [r["species"] for r in results],
                                  "parameters": {"content_type": "str"}}
    assert by_name["probabilities.setosa"]["data"] == [r["probabilities"]["setosa"]
                                                       for r in results]
    assert [by_name["species"]["data"][i] for i in range(2)] == ["setosa", "virginica"]


def test_requested_outputs_filter_and_order_the_response(iris):
    body = iris_request(outputs=[{"name": "probabilities.virginica"}, {"name": "species"}])
    decoded = iris.decode(body, max_rows=MAX_ROWS)
    response = iris.encode(decoded, IrisModel().predict_batch(decoded.rows), "iris_model", None)
    assert [t["name"] for t in response["outputs"]] == ["probabilities.virginica", "species"]
    assert "model_version" not in response and "id" not in response


def test_outputs_encode_each_kind_and_json_documents(kinds):
    decoded = kinds.decode({"inputs": [column("ratio", "FP64", [0.5, 0.5])]}, max_rows=MAX_ROWS)
    results = [
        {"label": "a", "score": 0.5, "votes": 3, "thumbnail": "iVBORw0KGgo=",
         "detail": {"ok": True, "inner": {"depth": 2}}, "extras": {"k": [1]}, "history": [1.5]},
        {"label": "b", "score": 1.0, "votes": 4, "thumbnail": "iVBORw0KGgo=",
         "detail": {"ok": False}, "extras": {}, "history": []},
    ]
    response = kinds.encode(decoded, results, "kinds", "2")
    data = {t["name"]: t["data"] for t in response["outputs"]}
    assert data == {
        "label": ["a", "b"], "score": [0.5, 1.0], "votes": [3, 4],
        "thumbnail": ["iVBORw0KGgo=", "iVBORw0KGgo="], "detail.ok": [True, False],
        "detail.inner.depth": [2, None], "extras": ['{"k":[1]}', "{}"],
        "history": ["[1.5]", "[]"],
    }  # "note" is in no row and was not asked for: left out


def test_an_output_no_row_has_is_sent_as_nulls_when_asked_for_by_name(kinds):
    body = {"inputs": [column("ratio", "FP64", [0.5])], "outputs": [{"name": "note"}]}
    decoded = kinds.decode(body, max_rows=MAX_ROWS)
    response = kinds.encode(decoded, [{"label": "a", "score": 0.5}], "kinds", "2")
    assert response["outputs"] == [{"name": "note", "datatype": "BYTES", "shape": [1],
                                    "data": [None], "parameters": {"content_type": "str"}}]


# -- the plainest one-row request (the direct path's) ----------------------------------------


def _with_one(column_name, **changes):
    body = iris_request(IRIS_ROWS[:1])
    for tensor in body["inputs"]:
        if tensor["name"] == column_name:
            tensor.update(changes)
    return body


@pytest.mark.parametrize("body", [
    iris_request(IRIS_ROWS[:1]),
    {"inputs": list(reversed(iris_request(IRIS_ROWS[:1])["inputs"]))},
])
def test_a_plain_one_row_request_gives_the_row_decode_gives(iris, body):
    assert iris.plain_row(body) == iris.decode(body, max_rows=1).rows[0]
    assert list(iris.plain_row(body)) == list(iris.decode(body, max_rows=1).rows[0])


def test_each_plain_kind_gives_the_row_decode_gives(kinds):
    body = {"inputs": [column("ratio", "FP64", [0.25]), column("count", "INT64", [7]),
                       column("flag", "BOOL", [False])]}
    assert kinds.plain_row(body) == kinds.decode(body, max_rows=1).rows[0] \
        == {"ratio": 0.25, "count": 7, "flag": False}


@pytest.mark.parametrize("body", [
    iris_request(IRIS_ROWS),  # two rows
    iris_request(IRIS_ROWS[:1], id="r-1"),  # echoed: decode keeps it
    iris_request(IRIS_ROWS[:1], outputs=[{"name": "species"}]),
    iris_request(IRIS_ROWS[:1], parameters={"content_type": "pd"}),
    iris_request(IRIS_ROWS[:1], datatype="FP32"),  # accepted, but not the kind's own datatype
    {"inputs": iris_request(IRIS_ROWS[:1])["inputs"][:3]},  # a required input missing
    {"inputs": iris_request(IRIS_ROWS[:1])["inputs"] + [column("petal_width", "FP64", [0.1])]},
    {"inputs": iris_request(IRIS_ROWS[:1])["inputs"][:3] + [column("colour", "FP64", [0.1])]},
    _with_one("petal_width", data=[1]),  # an integer in an FP64 tensor: decode widens it
    _with_one("petal_width", data=[math.nan]),
    _with_one("petal_width", data=[math.inf]),
    _with_one("petal_width", data=["0.2"]),
    _with_one("petal_width", data=[[0.2]]),
    _with_one("petal_width", data=[0.2, 0.3]),
    _with_one("petal_width", shape=[1, 1]),
    _with_one("petal_width", parameters={"content_type": "np"}),
    {"inputs": "all of them"},
    [],
])
def test_anything_but_the_plainest_request_is_left_to_decode(iris, body):
    assert iris.plain_row(body) is None


@pytest.mark.parametrize("body", [
    {"inputs": [column("count", "INT64", [2 ** 63])]},
    {"inputs": [column("count", "INT64", [True])]},
    {"inputs": [column("count", "INT64", [7.0])]},  # decode reads it as 7
    {"inputs": [column("flag", "BOOL", [1])]},
    {"inputs": [column("name", "BYTES", ["x"])]},
    {"inputs": [column("weight", "FP64", [None])]},
])
def test_other_kinds_and_edge_values_are_left_to_decode(kinds, body):
    assert kinds.plain_row(body) is None


def test_a_model_that_cannot_infer_over_v2_has_no_plain_rows():
    mapping = TensorMapping({"type": "object", "properties": {
        "ratio": {"type": "number"}, "tags": {"type": "array"}}, "required": ["tags"]},
        KINDS_OUTPUT)
    assert mapping.plain_row({"inputs": [column("ratio", "FP64", [0.5])]}) is None


@pytest.mark.parametrize("result", [
    {"label": "a", "score": 0.5, "votes": 3, "thumbnail": "iVBORw0KGgo=",
     "detail": {"ok": True, "inner": {"depth": 2}}, "extras": {"k": [1]}, "history": [1.5],
     "note": "n"},
    {"label": "b", "score": 1e-7, "detail": {"ok": False}, "extras": {}},  # optional ones absent
    {"label": "c", "score": 2.0, "extras": None, "history": None},
])
@pytest.mark.parametrize("version", ["2", None])
def test_a_one_row_answer_is_written_as_the_bytes_encode_gives(kinds, result, version):
    decoded = kinds.decode({"inputs": [column("ratio", "FP64", [0.5])]}, max_rows=1)
    assert kinds.encode_row(result, "kinds", version) == \
        orjson.dumps(kinds.encode(decoded, [result], "kinds", version))


def test_an_iris_answer_is_written_as_the_bytes_encode_gives(iris):
    body = iris_request(IRIS_ROWS[:1])
    result = IrisModel().predict(IRIS_ROWS[0])
    assert iris.encode_row(result, "iris_model", "1.0.0") == orjson.dumps(
        iris.encode(iris.decode(body, max_rows=1), [result], "iris_model", "1.0.0"))


# -- refusals --------------------------------------------------------------------------------


def _with(column_name, **changes):
    body = iris_request()
    for tensor in body["inputs"]:
        if tensor["name"] == column_name:
            tensor.update(changes)
    return body


@pytest.mark.parametrize("body, message", [
    ([], "must be a JSON object, not an array"),
    ({}, "'inputs' must be a non-empty list"),
    ({"inputs": []}, "'inputs' must be a non-empty list"),
    ({"inputs": [{"shape": [1]}]}, "Input 0 must be an object with a string 'name'"),
    ({"inputs": [column("sepal_length", "FP64", [1.0])]},
     "Missing required inputs 'petal_length', 'petal_width', 'sepal_width'"),
    ({"inputs": iris_request()["inputs"] + [column("colour", "BYTES", ["red", "red"])]},
     "Unknown input 'colour'; the model's inputs are 'sepal_length'"),
    ({"inputs": iris_request()["inputs"] + [column("sepal_length", "FP64", [1.0, 2.0])]},
     "Input 'sepal_length' is given twice"),
    (_with("petal_width", data=[0.2, 0.3, 0.4], shape=[3]),
     "Input 'petal_width' has 3 rows but input 'sepal_length' has 2"),
    (_with("petal_width", datatype="BYTES", data=["a", "b"]),
     "Input 'petal_width' is a number: its datatype is FP64 (or FP16, FP32, INT16"),
    (_with("petal_width", datatype="FLOAT"), "Input 'petal_width' has datatype 'FLOAT'"),
    (_with("petal_width", datatype="FP16", data=[0.2, 70000.0]),
     "Input 'petal_width' element 1 is 70000.0: outside FP16's range"),
    (_with("petal_width", datatype="FP32", data=[0.2, 1e39]), "outside FP32's range"),
    (_with("petal_width", data=[0.2, math.nan]), "element 1 is nan: not finite"),
    (_with("petal_width", data=[0.2, -math.inf]), "element 1 is -inf: not finite"),
    # One row: the single-element check (``_convert``'s usual case) refuses the same values.
    ({"inputs": [column("sepal_length", "FP64", [math.nan])]}, "element 0 is nan: not finite"),
    ({"inputs": [column("sepal_length", "FP64", [math.inf])]}, "element 0 is inf: not finite"),
    ({"inputs": [column("sepal_length", "FP32", [1e39])]}, "outside FP32's range"),
    ({"inputs": [column("sepal_length", "FP16", [-70000.0])]}, "outside FP16's range"),
    (_with("petal_width", datatype="INT8", data=[1, 300]),
     "Input 'petal_width' element 1 is 300, outside INT8's range -128 to 127"),
    (_with("petal_width", datatype="UINT32", data=[1, -1]), "outside UINT32's range 0 to"),
    (_with("petal_width", datatype="INT64", data=[1, 1.5]), "element 1 is a number; expected an integer"),
    (_with("petal_width", data=[0.2, "0.3"]), "element 1 is '0.3'; expected a number"),
    (_with("petal_width", data=[0.2, True]), "element 1 is a boolean; expected a number"),
    (_with("petal_width", data=[0.2, None]), "element 1 is null; expected a number"),
    (_with("petal_width", data=[0.2, [0.3]]), "element 1 is an array; expected a number"),
    (_with("petal_width", data=[0.2]), "Input 'petal_width' has shape [2] but its data does not match"),
    (_with("petal_width", data=[[0.2, 0.3]], shape=[2, 1]),
     "dimension 0 holds 1 items"),
    (_with("petal_width", data=[[0.2], 0.3], shape=[2, 1]), "dimension 1 holds a number"),
    (_with("petal_width", data={"a": 1}), "'data' must be an array, not an object"),
    (_with("petal_width", data=None), "'data' must be an array, not null"),
    ({"inputs": [{"name": "petal_width", "datatype": "FP64", "shape": [1]}]}, "has no 'data'"),
    (_with("petal_width", shape=[2, 2]), "has shape [2, 2], but each row holds one value"),
    (_with("petal_width", shape=[]), "needs a 'shape'"),
    (_with("petal_width", shape=None), "needs a 'shape'"),
    (_with("petal_width", shape=[-2]), "needs a 'shape'"),
    (_with("petal_width", shape=["2"]), "needs a 'shape'"),
    (_with("petal_width", shape=[True]), "needs a 'shape'"),
    (_with("petal_width", shape=[2] + [1] * 8), "needs a 'shape'"),
    (_with("petal_width", shape=[2**62, 2**62]), "has shape"),
    (iris_request(id=7), "'id' must be a string, not an integer"),
    (iris_request(parameters=[]), "'parameters' must be an object"),
    (iris_request(parameters={"content_type": "np"}), "Request content_type 'np' is not supported"),
    (_with("petal_width", parameters={"content_type": "pd_json"}),
     "Input 'petal_width' has content_type 'pd_json'"),
    (_with("petal_width", parameters={"shared_memory_region": "r"}),
     "parameter 'shared_memory_region' cannot be honoured"),
    (iris_request(outputs=[{"name": "species", "parameters": {"classification": 2}}]),
     "Requested output 'species': parameter 'classification' cannot be honoured"),
    (iris_request(outputs=[{"name": "probabilities"}]),
     "Unknown output 'probabilities'; the model's outputs are 'species', 'probabilities.setosa'"),
    (iris_request(outputs={"name": "species"}), "'outputs' must be a list"),
])
def test_bad_requests_are_refused_with_a_400_naming_the_problem(iris, body, message):
    error = refused(iris, body)
    assert error.status == 400
    assert message in error.detail


@pytest.mark.parametrize("shape", [[101], [10**30], [10**30, 1]])
def test_more_rows_than_the_limit_are_refused_with_413_before_reading_data(iris, shape):
    error = refused(iris, _with("sepal_length", shape=shape, data=[]), max_rows=100)
    assert error.status == 413
    assert "A request holds at most 100 rows; input 'sepal_length' has" in error.detail


def test_deeply_nested_data_is_refused_without_recursion(iris):
    deep = [0.5]
    for _ in range(100_000):  # far deeper than Python's recursion limit
        deep = [deep]
    error = refused(iris, _with("petal_width", data=[deep], shape=[2, 1, 1, 1]))
    assert "does not match" in error.detail
    for shape in ([2], [2, 1, 1, 1]):  # the walk stops at the shape's depth
        error = refused(iris, _with("petal_width", data=[deep, deep], shape=shape))
        assert "element 0 is an array" in error.detail


@pytest.mark.parametrize("column_, message", [
    (column("flag", "BOOL", [2]), "Input 'flag' element 0 is an integer; expected true or false"),
    (column("flag", "BOOL", ["true"]), "Input 'flag' element 0 is 'true'; expected true or false"),
    (column("name", "BYTES", [5]), "Input 'name' element 0 is an integer; expected a string"),
    (column("name", "BYTES", ["%%%"], content_type="base64"), "is not valid base64"),
    (column("name", "BYTES", ["a"], content_type="json"), "Input 'name' has content_type 'json'"),
    (column("flag", "BOOL", [True], content_type="base64"),
     "Input 'flag' has content_type 'base64', which a BOOL tensor cannot have"),
    (column("count", "FP64", [1.0]), "Input 'count' is an integer: its datatype is INT64 (or INT16"),
    (column("flag", "INT8", [1]), "Input 'flag' is a boolean: its datatype is BOOL, not INT8"),
])
def test_bad_elements_of_other_kinds_are_refused_naming_the_input(kinds, column_, message):
    error = refused(kinds, {"inputs": [column("ratio", "FP64", [0.5]), column_]})
    assert error.status == 400 and message in error.detail


def test_schema_violations_become_one_message_naming_row_and_input(iris):
    rows = iris.decode(_with("petal_width", data=[0.2, 25.0]), max_rows=MAX_ROWS).rows
    validator = SchemaValidator.for_schema(IrisModel.input_schema)
    errors = {str(index): validator.errors(row) for index, row in enumerate(rows)
              if validator.errors(row)}
    message = field_errors_message("1 of 2 rows do not match the input schema.", errors,
                                   by_row=True)
    assert message == ("1 of 2 rows do not match the input schema. "
                       "Row 1, input 'petal_width': Must be less than or equal to 20.0.")
    single = field_errors_message("Bad input.", {"aB": ["X."], "_schema": ["Y."],
                                                 "b": {"c": ["Z."]}}, by_row=False)
    assert single == "Bad input. Input 'aB': X. Y. Input 'b.c': Z."
    many = field_errors_message("Bad.", {str(i): {"a": ["x"]} for i in range(8)}, by_row=True)
    assert many.endswith("Row 4, input 'a': x (3 more.)")


# -- the binary tensor extension, with tritonclient's own request building ------------------


def test_tritonclient_json_request_decodes_to_the_same_rows(iris):
    features = np.array([[row[name] for name in IRIS_FEATURES] for row in IRIS_ROWS], np.float32)
    inputs = [triton_input(name, features[:, [index]], "FP32", binary_data=False)
              for index, name in enumerate(IRIS_FEATURES)]
    body, header = triton_body(inputs, [triton.InferRequestedOutput("species", binary_data=False)],
                               request_id="abc")
    assert header is None  # pure JSON: no Inference-Header-Content-Length
    parsed, tail = binary.read_request(body, header)
    decoded = iris.decode(parsed, max_rows=MAX_ROWS, binary=tail)
    assert decoded.id == "abc" and decoded.outputs == ("species",)
    assert decoded.binary_outputs == frozenset()
    # FP32 carries 5.1 as 5.099999904632568: the float32 value, as a float the schema accepts.
    assert [row["sepal_length"] for row in decoded.rows] == pytest.approx([5.1, 6.7], rel=1e-6)
    assert all(SchemaValidator.for_schema(IrisModel.input_schema).errors(row) is None
               for row in decoded.rows)


def test_tritonclient_binary_request_decodes_to_the_json_rows(iris):
    features = np.array([[row[name] for name in IRIS_FEATURES] for row in IRIS_ROWS])
    json_inputs = [triton_input(name, features[:, index], "FP64", binary_data=False)
                   for index, name in enumerate(IRIS_FEATURES)]
    binary_inputs = [triton_input(name, features[:, index], "FP64")
                     for index, name in enumerate(IRIS_FEATURES)]
    body, header = triton_body(binary_inputs)
    assert header is not None and int(header) < len(body)
    parsed, tail = binary.read_request(body, header)
    decoded = iris.decode(parsed, max_rows=MAX_ROWS, binary=tail)
    expected = iris.decode(binary.read_request(*triton_body(json_inputs))[0], max_rows=MAX_ROWS)
    assert decoded.rows == expected.rows == IRIS_ROWS
    # No outputs named: tritonclient asks for every output in binary.
    assert decoded.binary_outputs == frozenset(iris.outputs)


@pytest.mark.parametrize("binary_data", [True, False])
def test_tritonclient_tensors_of_every_kind_decode_in_both_encodings(kinds, binary_data):
    png = b"\x89PNG\r\n\x1a\n"
    arrays = {
        "ratio": (np.array([0.5, 2.0], np.float16), "FP16"),
        "count": (np.array([[1], [2]], np.uint16), "UINT16"),
        "flag": (np.array([True, False]), "BOOL"),
        "name": (np.array([b"ann", "bé".encode()], dtype=object), "BYTES"),
        "level": (np.array([3, 1], np.int8), "INT8"),
    }
    if binary_data:  # raw file bytes are not UTF-8, so only the binary encoding can carry them
        arrays["photo"] = (np.array([png, png], dtype=object), "BYTES")
    inputs = [triton_input(name, array, datatype, binary_data)
              for name, (array, datatype) in arrays.items()]
    parsed, tail = binary.read_request(*triton_body(inputs))
    rows = kinds.decode(parsed, max_rows=MAX_ROWS, binary=tail).rows
    expected = [{"ratio": 0.5, "count": 1, "flag": True, "name": "ann", "level": 3},
                {"ratio": 2.0, "count": 2, "flag": False, "name": "bé", "level": 1}]
    if binary_data:
        for row in expected:
            row["photo"] = base64.b64encode(png).decode()
    assert rows == expected
    assert all(type(row["count"]) is int and type(row["flag"]) is bool for row in rows)


def test_tritonclient_reads_a_json_response(iris):
    decoded = iris.decode(iris_request(), max_rows=MAX_ROWS)
    results = IrisModel().predict_batch(decoded.rows)
    body, header = binary.write_response(iris.encode(decoded, results, "iris_model", "1.0.0"),
                                         decoded.binary_outputs)
    assert header is None
    result = triton.InferResult.from_response_body(body)
    assert result.as_numpy("species").tolist() == ["setosa", "virginica"]
    assert result.as_numpy("probabilities.setosa").tolist() == [
        r["probabilities"]["setosa"] for r in results]


def test_tritonclient_reads_a_binary_response_to_its_default_request(iris):
    features = np.array([[row[name] for name in IRIS_FEATURES] for row in IRIS_ROWS])
    inputs = [triton_input(name, features[:, index], "FP64")
              for index, name in enumerate(IRIS_FEATURES)]
    parsed, tail = binary.read_request(*triton_body(inputs, request_id="7"))
    decoded = iris.decode(parsed, max_rows=MAX_ROWS, binary=tail)
    results = IrisModel().predict_batch(decoded.rows)
    body, header = binary.write_response(iris.encode(decoded, results, "iris_model", "1.0.0"),
                                         decoded.binary_outputs)
    assert header is not None
    result = triton.InferResult.from_response_body(body, header_length=header)
    assert result.get_response()["id"] == "7"
    assert result.as_numpy("species").tolist() == [b"setosa", b"virginica"]
    assert result.as_numpy("probabilities.virginica").tolist() == [
        r["probabilities"]["virginica"] for r in results]


def test_binary_responses_carry_media_as_file_bytes_and_keep_null_integers_in_json(kinds):
    body = {"inputs": [column("ratio", "FP64", [0.5, 0.5])],
            "parameters": {"binary_data_output": True}}
    decoded = kinds.decode(body, max_rows=MAX_ROWS)
    results = [{"label": "a", "score": 0.5, "thumbnail": "iVBORw0KGgo=", "votes": 1,
                "detail": {"ok": True, "inner": {"depth": 1}}},
               {"label": "b", "score": 0.25, "thumbnail": "data:image/png;base64,iVBORw0KGgo=",
                "votes": 2, "detail": {"ok": False, "inner": {}}}]
    payload, header = binary.write_response(kinds.encode(decoded, results, "kinds", "2"),
                                            decoded.binary_outputs)
    result = triton.InferResult.from_response_body(payload, header_length=header)
    assert result.as_numpy("thumbnail").tolist() == [b"\x89PNG\r\n\x1a\n"] * 2
    assert result.as_numpy("detail.ok").tolist() == [True, False]
    assert result.as_numpy("votes").tolist() == [1, 2]
    assert result.get_output("detail.inner.depth")["data"] == [1, None]


@pytest.mark.parametrize("header, message", [
    ("12x", "must be the byte length of the JSON part"),
    ("-1", "must be the byte length of the JSON part"),
    ("999999", "must be the byte length of the JSON part"),
])
def test_a_bad_header_length_is_refused(header, message):
    with pytest.raises(CodecError) as caught:
        binary.read_request(b'{"inputs": []}', header)
    assert message in caught.value.detail


def test_a_body_that_is_not_json_is_refused():
    with pytest.raises(CodecError) as caught:
        binary.read_request(b'{"inputs": [NaN]}', None)
    assert "not valid JSON" in caught.value.detail


def _binary_request(datatype, raw, shape, **parameters):
    tensor = {"name": "ratio", "datatype": datatype, "shape": shape,
              "parameters": {"binary_data_size": len(raw), **parameters}}
    return {"inputs": [tensor]}, raw


@pytest.mark.parametrize("body, tail, message", [
    (*_binary_request("FP64", b"\x00" * 8, [1]), "no Inference-Header-Content-Length"),
    (*_binary_request("FP64", b"\x00" * 12, [1]), "has 12 bytes of binary data, but 1 FP64 values take 8"),
    (*_binary_request("FP64", struct.pack("<d", math.nan), [1]), "element 0 is nan: not finite"),
    ({"inputs": [{"name": "ratio", "datatype": "FP64", "shape": [1], "data": [1.0],
                  "parameters": {"binary_data_size": 8}}]}, b"\x00" * 8, "both 'data' and"),
    ({"inputs": [{"name": "ratio", "datatype": "FP64", "shape": [1],
                  "parameters": {"binary_data_size": 2**40}}]}, b"\x00" * 8,
     "binary_data_size 1099511627776, but the binary part has 8 bytes left"),
    ({"inputs": [column("ratio", "FP64", [0.5])]}, b"\x00", "1 bytes that no input's"),
])
def test_bad_binary_inputs_are_refused_naming_the_input(kinds, body, tail, message):
    binary_part = None if message.startswith("no Inference") else tail
    error = refused(kinds, body, binary_part)
    assert error.status == 400 and message in error.detail


@pytest.mark.parametrize("raw, message", [
    (b"\x05\x00\x00\x00ab", "BYTES element 0 claims 5 bytes but 2 are left"),
    (b"\x01\x00\x00\x00a\x01\x00", "ends inside a length prefix"),
    (b"\x01\x00\x00\x00a\x01\x00\x00\x00b\x01\x00\x00\x00c", "more than 2 BYTES elements"),
    (b"\x01\x00\x00\x00a", "has 1 BYTES elements in its binary data; its shape says 2"),
    (b"\x01\x00\x00\x00\xff\x01\x00\x00\x00b", "element 0 is not UTF-8 text"),
])
def test_bad_binary_bytes_elements_are_refused(kinds, raw, message):
    body = {"inputs": [column("ratio", "FP64", [0.5, 0.5]),
                       {"name": "name", "datatype": "BYTES", "shape": [2],
                        "parameters": {"binary_data_size": len(raw)}}]}
    error = refused(kinds, body, raw)
    assert message in error.detail


def test_a_binary_bool_byte_other_than_0_or_1_is_refused(kinds):
    body = {"inputs": [column("ratio", "FP64", [0.5]),
                       {"name": "flag", "datatype": "BOOL", "shape": [1],
                        "parameters": {"binary_data_size": 1}}]}
    assert "neither 0 nor 1" in refused(kinds, body, b"\x02").detail


# -- the open-inference OpenAPI client's own models --------------------------------------------


def test_open_inference_client_requests_decode_although_it_sends_every_number_as_a_float(kinds):
    request = InferenceRequest(id="q", inputs=[
        RequestInput(name="ratio", shape=[2], datatype="FP64", data=[0.5, 1]),
        RequestInput(name="count", shape=[2], datatype="INT64", data=[7, 0]),
        RequestInput(name="flag", shape=[2], datatype="BOOL", data=[True, False]),
        RequestInput(name="name", shape=[2, 1], datatype="BYTES", data=[["ann"], ["bo"]]),
    ])
    body = jsonable_encoder(request)  # what the client posts as JSON
    assert body["inputs"][1]["data"] == [7.0, 0.0] and body["inputs"][2]["data"] == [1.0, 0.0]
    rows = kinds.decode(body, max_rows=MAX_ROWS).rows
    assert rows == [{"ratio": 0.5, "count": 7, "flag": True, "name": "ann"},
                    {"ratio": 1.0, "count": 0, "flag": False, "name": "bo"}]
    assert type(rows[0]["count"]) is int and type(rows[0]["flag"]) is bool


def test_open_inference_client_reads_the_iris_response_and_metadata(iris):
    decoded = iris.decode(iris_request(id="q"), max_rows=MAX_ROWS)
    response = iris.encode(decoded, IrisModel().predict_batch(decoded.rows), "iris_model", "1.0.0")
    parsed = InferenceResponse.parse_obj(response)
    assert parsed.id == "q" and parsed.outputs[0].data.__root__ == ["setosa", "virginica"]
    metadata = MetadataModelResponse.parse_obj(iris.metadata("iris_model", ["1.0.0"]))
    assert [tensor.name for tensor in metadata.outputs][1] == "probabilities.setosa"


# -- the package boundary --------------------------------------------------------------------


def test_the_v2_codec_imports_no_web_framework():
    probe = ("import sys, model_service.protocols.v2.codec, model_service.protocols.v2.binary\n"
             "print(' '.join(m for m in ('flask', 'werkzeug', 'gunicorn') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True)
    assert result.stdout.split() == []
