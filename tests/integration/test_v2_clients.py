"""The V2 endpoints with the real clients (tritonclient, the open-inference client) over gunicorn.

One production server (gunicorn, preloaded, two workers) serves the whole module: iris, a text
model, an image model, and models that raise, break their output contract or failed to load.
Every answer must be a correct prediction or a clear ``{"error": ...}`` with the right status.
"""
from __future__ import annotations

import base64
import io

import numpy as np
import pytest
import requests
import tritonclient.http as triton
from open_inference.openapi import (
    BadRequestError,
    InferenceRequest,
    NotFoundError,
    RequestInput,
    RequestOutput,
    ServiceUnavailableError,
)
from open_inference.openapi.client import OpenInferenceClient
from open_inference.openapi.core.api_error import ApiError
from PIL import Image, ImageOps
from tritonclient.utils import InferenceServerException

from helpers import (BAD_OUTPUT, IRIS, IRIS_FEATURES, LOAD_FAILING, MIRROR, RAISING, TEXT,
                     write_models_file)
from servers import GunicornServer, service_env

pytestmark = pytest.mark.slow

MAX_BODY_BYTES = 200_000
MAX_ROWS = 64
ROWS = [
    {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2},
    {"sepal_length": 6.7, "sepal_width": 3.0, "petal_length": 5.2, "petal_width": 2.3},
    {"sepal_length": 5.9, "sepal_width": 3.0, "petal_length": 4.2, "petal_width": 1.5},
]
IRIS_OUTPUTS = ["species", "probabilities.setosa", "probabilities.versicolor",
                "probabilities.virginica"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Gunicorn serving the module's models, with small body and batch limits; yields it."""
    models = write_models_file(tmp_path_factory.mktemp("v2"),
                               [IRIS, TEXT, MIRROR, RAISING, BAD_OUTPUT, LOAD_FAILING])
    env = service_env(MODEL_SERVICE_CONFIG=str(models), MODEL_SERVICE_LOG_LEVEL="WARNING",
                      MODEL_SERVICE_MAX_BODY_BYTES=str(MAX_BODY_BYTES),
                      MODEL_SERVICE_MAX_BATCH_SIZE=str(MAX_ROWS))
    with GunicornServer(workers=2, env=env) as running:
        yield running


@pytest.fixture(scope="module")
def url(server) -> str:
    return server.url


@pytest.fixture(scope="module")
def native(url) -> list[dict]:
    """The native API's answers for ROWS: what every V2 answer must equal."""
    response = requests.post(f"{url}/api/models/iris_model/predict_batch", json=ROWS, timeout=10)
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def triton_client(url):
    client = triton.InferenceServerClient(url.removeprefix("http://"))
    yield client
    client.close()


@pytest.fixture
def oip_client(url):
    return OpenInferenceClient(base_url=url, timeout=10)


def iris_inputs(rows=ROWS, datatype="FP64", binary_data=True) -> list:
    dtype = {"FP64": np.float64, "FP32": np.float32}[datatype]
    inputs = []
    for name in IRIS_FEATURES:
        tensor = triton.InferInput(name, [len(rows)], datatype)
        tensor.set_data_from_numpy(np.array([row[name] for row in rows], dtype),
                                   binary_data=binary_data)
        inputs.append(tensor)
    return inputs


def png(width: int = 4, height: int = 3) -> bytes:
    image = Image.new("RGB", (width, height))
    image.putdata([(x * 60, y * 80, 0) for y in range(height) for x in range(width)])
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def assert_iris_answers(result: triton.InferResult, native: list[dict]) -> None:
    species = [value.decode() if isinstance(value, bytes) else value
               for value in result.as_numpy("species").tolist()]
    assert species == [answer["species"] for answer in native] == ["setosa", "virginica",
                                                                   "versicolor"]
    for label in ("setosa", "versicolor", "virginica"):
        assert result.as_numpy(f"probabilities.{label}").tolist() == [
            answer["probabilities"][label] for answer in native]


# -- tritonclient ----------------------------------------------------------------------------


def test_tritonclient_with_its_defaults_gets_the_native_predictions_in_binary(triton_client,
                                                                             native):
    result = triton_client.infer("iris_model", iris_inputs(), request_id="defaults")
    response = result.get_response()
    assert response["id"] == "defaults" and response["model_version"] == "1.0.0"
    # Its defaults: binary inputs, and every output asked for as binary data.
    assert all("data" not in output and output["parameters"]["binary_data_size"] > 0
               for output in response["outputs"])
    assert [output["name"] for output in response["outputs"]] == IRIS_OUTPUTS
    assert_iris_answers(result, native)


def test_tritonclient_in_pure_json_gets_the_same_predictions(triton_client, native):
    outputs = [triton.InferRequestedOutput(name, binary_data=False) for name in IRIS_OUTPUTS]
    result = triton_client.infer("iris_model", iris_inputs(binary_data=False), outputs=outputs)
    assert all(len(output["data"]) == len(ROWS) for output in result.get_response()["outputs"])
    assert_iris_answers(result, native)


def test_tritonclient_json_request_body_has_no_binary_part(url, native):
    """The same request as above, as tritonclient's JSON encoding sends it, read raw."""
    body = {"inputs": [{"name": name, "datatype": "FP32", "shape": [len(ROWS), 1],
                        "data": [[row[name]] for row in ROWS]} for name in IRIS_FEATURES],
            "outputs": [{"name": "species", "parameters": {"binary_data": False}}]}
    response = requests.post(f"{url}/v2/models/iris_model/infer", json=body, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert "Inference-Header-Content-Length" not in response.headers
    assert response.json()["outputs"] == [{
        "name": "species", "datatype": "BYTES", "shape": [3],
        "data": [answer["species"] for answer in native],
        "parameters": {"content_type": "str"}}]


def test_tritonclient_gets_only_the_requested_outputs_in_the_order_asked(triton_client, native):
    outputs = [triton.InferRequestedOutput("probabilities.virginica"),
               triton.InferRequestedOutput("species", binary_data=False)]
    result = triton_client.infer("iris_model", iris_inputs(datatype="FP32"), outputs=outputs)
    response = result.get_response()
    assert [output["name"] for output in response["outputs"]] == ["probabilities.virginica",
                                                                  "species"]
    assert "binary_data_size" in response["outputs"][0]["parameters"]
    assert response["outputs"][1]["data"] == ["setosa", "virginica", "versicolor"]
    assert result.as_numpy("probabilities.setosa") is None
    # FP32 inputs are read as the float32 values they are: the same species.
    assert result.as_numpy("probabilities.virginica").tolist() == pytest.approx(
        [answer["probabilities"]["virginica"] for answer in native], rel=1e-5)


def test_tritonclient_reads_server_and_model_metadata_and_readiness(triton_client):
    assert triton_client.is_server_live()
    assert not triton_client.is_server_ready()  # load_failing_model failed to load
    assert triton_client.is_model_ready("iris_model")
    assert triton_client.is_model_ready("iris_model", "1.0.0")
    assert not triton_client.is_model_ready("load_failing_model")
    server = triton_client.get_server_metadata()
    assert server["name"] == "model-service" and "binary_tensor_data" in server["extensions"]
    metadata = triton_client.get_model_metadata("iris_model", "1.0.0")
    assert [tensor["name"] for tensor in metadata["inputs"]] == list(IRIS_FEATURES)
    assert {tensor["datatype"] for tensor in metadata["inputs"]} == {"FP64"}
    assert [tensor["name"] for tensor in metadata["outputs"]] == IRIS_OUTPUTS
    assert metadata["versions"] == ["1.0.0"]


@pytest.mark.parametrize("binary_data", [True, False], ids=["binary", "json"])
def test_tritonclient_sends_text_and_booleans_to_a_string_model(triton_client, binary_data):
    text = triton.InferInput("text", [3, 1], "BYTES")
    text.set_data_from_numpy(np.array([["hello wide world"], ["één twee"], ["x"]], dtype=object),
                             binary_data=binary_data)
    shout = triton.InferInput("shout", [3], "BOOL")
    shout.set_data_from_numpy(np.array([False, True, False]), binary_data=binary_data)
    outputs = [triton.InferRequestedOutput(name, binary_data=binary_data)
               for name in ("words", "echo")]
    result = triton_client.infer("text_model", [text, shout], outputs=outputs)
    assert result.as_numpy("words").tolist() == [3, 2, 1]
    echo = [value.decode() if isinstance(value, bytes) else value
            for value in result.as_numpy("echo").tolist()]
    assert echo == ["hello wide world", "ÉÉN TWEE", "x"]


def test_tritonclient_sends_raw_image_bytes_and_gets_raw_png_bytes_back(triton_client):
    picture = png()
    image = triton.InferInput("image", [1], "BYTES")
    image.set_data_from_numpy(np.array([picture], dtype=object))  # binary: the file itself
    result = triton_client.infer("mirror_model", [image])
    output = result.get_response()["outputs"][0]
    assert output["parameters"]["content_type"] == "base64" and "data" not in output
    returned = Image.open(io.BytesIO(result.as_numpy("image")[0]))
    assert returned.format == "PNG"
    assert returned.tobytes() == ImageOps.mirror(Image.open(io.BytesIO(picture))).tobytes()
    assert result.as_numpy("width").tolist() == [4] and result.as_numpy("height").tolist() == [3]


def test_tritonclient_in_json_sends_and_gets_images_as_base64_text(triton_client):
    picture = png(2, 2)
    image = triton.InferInput("image", [2], "BYTES")
    image.set_data_from_numpy(np.array([base64.b64encode(picture).decode(),
                                        "data:image/png;base64," + base64.b64encode(picture)
                                        .decode()], dtype=object), binary_data=False)
    outputs = [triton.InferRequestedOutput("image", binary_data=False)]
    result = triton_client.infer("mirror_model", [image], outputs=outputs)
    data = result.get_response()["outputs"][0]["data"]
    assert len(data) == 2
    mirrored = Image.open(io.BytesIO(base64.b64decode(data[0], validate=True)))
    assert mirrored.size == (2, 2) and mirrored.format == "PNG"


@pytest.mark.parametrize("model, make_inputs, status, message", [
    ("nosuchmodel", iris_inputs, 404, "No model named 'nosuchmodel' is hosted here."),
    ("load_failing_model", iris_inputs, 503,
     "Model 'load_failing_model' is not ready: artifact weights.bin not found"),
    ("iris_model", lambda: iris_inputs()[:3], 400, "Missing required input 'petal_width'"),
    ("iris_model", lambda: iris_inputs([{**ROWS[0], "petal_width": 99.0}, ROWS[1]]), 400,
     "Row 0, input 'petal_width': Must be less than or equal to 20.0."),
    ("text_model", lambda: [triton.InferInput("text", [1], "FP64").set_data_from_numpy(
        np.array([1.0]))], 400, "Input 'text' is a string: its datatype is BYTES, not FP64."),
], ids=["unknown-model", "not-ready", "missing-input", "schema-violation", "wrong-datatype"])
def test_tritonclient_gets_clear_errors(triton_client, model, make_inputs, status, message):
    with pytest.raises(InferenceServerException) as caught:
        triton_client.infer(model, make_inputs())
    assert caught.value.status() == str(status)
    assert message in caught.value.message()


def test_tritonclient_learns_of_a_model_failure_without_its_details(triton_client, server):
    value = triton.InferInput("value", [1], "INT64")
    value.set_data_from_numpy(np.array([13]))
    with pytest.raises(InferenceServerException) as caught:
        triton_client.infer("raising_model", [value])
    assert caught.value.status() == "500"
    assert caught.value.message() == ("Model 'raising_model' failed to make a prediction; the "
                                      "error has been logged.")
    assert "secret internal detail" in server.output()  # in the log, not in the answer


# -- the open-inference OpenAPI client --------------------------------------------------------


def test_open_inference_client_gets_iris_predictions(oip_client, native):
    oip_client.check_server_liveness()
    oip_client.check_model_readiness("iris_model")
    request = InferenceRequest(id="oip", inputs=[
        RequestInput(name=name, shape=[len(ROWS)], datatype="FP64",
                     data=[row[name] for row in ROWS]) for name in IRIS_FEATURES],
        outputs=[RequestOutput(name="species"), RequestOutput(name="probabilities.setosa")])
    response = oip_client.model_infer("iris_model", request=request)
    assert response.id == "oip" and response.model_name == "iris_model"
    assert [output.name for output in response.outputs] == ["species", "probabilities.setosa"]
    assert response.outputs[0].data.__root__ == [answer["species"] for answer in native]
    assert response.outputs[1].data.__root__ == [answer["probabilities"]["setosa"]
                                                 for answer in native]
    versioned = oip_client.model_version_infer("iris_model", "1.0.0", request=request)
    assert versioned.outputs == response.outputs


def test_open_inference_client_sends_text_and_booleans(oip_client):
    metadata = oip_client.read_model_metadata("text_model")
    assert [(tensor.name, tensor.datatype) for tensor in metadata.inputs] == [("text", "BYTES"),
                                                                             ("shout", "BOOL")]
    request = InferenceRequest(inputs=[
        RequestInput(name="text", shape=[2, 1], datatype="BYTES", data=[["a b c"], ["hi"]]),
        RequestInput(name="shout", shape=[2], datatype="BOOL", data=[True, False])])
    response = oip_client.model_infer("text_model", request=request)
    outputs = {output.name: output.data.__root__ for output in response.outputs}
    # The client's pydantic model reads every number as a float.
    assert outputs == {"words": [3.0, 1.0], "echo": ["A B C", "hi"]}


def test_open_inference_client_gets_clear_errors(oip_client):
    bad = InferenceRequest(inputs=[RequestInput(name="text", shape=[2], datatype="BYTES",
                                                data=["fine", ""])])
    with pytest.raises(BadRequestError) as caught:
        oip_client.model_infer("text_model", request=bad)
    assert caught.value.body == {"error": "1 of 2 batch items do not match the input schema of "
                                          "model 'text_model'. Row 1, input 'text': Shorter "
                                          "than minimum length 1."}
    with pytest.raises(NotFoundError) as caught:
        oip_client.check_model_version_readiness("iris_model", "9.9")
    assert caught.value.body == {"error": "Model 'iris_model' has no version '9.9'; it serves "
                                          "version '1.0.0'."}
    with pytest.raises(ServiceUnavailableError) as caught:
        oip_client.check_model_readiness("load_failing_model")
    assert caught.value.body == {"name": "load_failing_model", "ready": False}
    with pytest.raises(ServiceUnavailableError):
        oip_client.check_server_readiness()
    with pytest.raises(ApiError) as caught:
        oip_client.model_infer("nosuchmodel", request=bad)
    assert caught.value.status_code == 404


# -- every error, raw: status, and always {"error": ...} as JSON ------------------------------


def tensor(name, datatype, data, shape=None) -> dict:
    return {"name": name, "datatype": datatype, "shape": shape or [len(data)], "data": data}


def iris_body(rows=ROWS, **extra) -> dict:
    return {"inputs": [tensor(name, "FP64", [row[name] for row in rows])
                       for name in IRIS_FEATURES], **extra}


def without(body: dict, name: str) -> dict:
    return {**body, "inputs": [t for t in body["inputs"] if t["name"] != name]}


def replaced(body: dict, name: str, new: dict) -> dict:
    return {**body, "inputs": [new if t["name"] == name else t for t in body["inputs"]]}


INFER = "/v2/models/iris_model/infer"
JSON = {"Content-Type": "application/json"}
ERROR_CASES = [
    # (method, path, body, headers, status, fragment of the message)
    ("POST", INFER, b'{"inputs": [', JSON, 400, "The request body is not valid JSON"),
    ("POST", INFER, b"[1, 2]", JSON, 400, "The request body must be a JSON object, not an array"),
    ("POST", INFER, {"inputs": []}, None, 400, "'inputs' must be a non-empty list"),
    ("POST", INFER, replaced(iris_body(), "sepal_length",
                             tensor("sepal_length", "BYTES", ["5.1", "6.7", "5.9"])), None, 400,
     "Input 'sepal_length' is a number: its datatype is FP64"),
    ("POST", INFER, replaced(iris_body(), "sepal_length",
                             tensor("sepal_length", "FLOAT", [5.1, 6.7, 5.9])), None, 400,
     "Input 'sepal_length' has datatype 'FLOAT'; V2 datatypes are"),
    ("POST", INFER, replaced(iris_body(), "sepal_length",
                             tensor("sepal_length", "FP64", [5.1, 6.7], shape=[3])), None, 400,
     "Input 'sepal_length' has shape [3] but its data does not match"),
    ("POST", INFER, replaced(iris_body(), "sepal_length",
                             tensor("sepal_length", "FP64", [5.1, 6.7])), None, 400,
     "Input 'sepal_width' has 3 rows but input 'sepal_length' has 2"),
    ("POST", INFER, replaced(iris_body(), "sepal_length",
                             tensor("sepal_length", "FP64", [5.1, 6.7, 5.9], shape=[3, 2])),
     None, 400, "the shape must be [N] or [N, 1]"),
    ("POST", INFER, without(iris_body(), "petal_width"), None, 400,
     "Missing required input 'petal_width'"),
    ("POST", INFER, {**iris_body(), "inputs": iris_body()["inputs"] + [
        tensor("colour", "BYTES", ["blue"] * 3)]}, None, 400, "Unknown input 'colour'"),
    ("POST", INFER, iris_body(outputs=[{"name": "genus"}]), None, 400, "Unknown output 'genus'"),
    ("POST", INFER, iris_body([ROWS[0], {**ROWS[1], "petal_width": -1.0}, ROWS[2]]), None, 400,
     "1 of 3 batch items do not match the input schema of model 'iris_model'. Row 1, input "
     "'petal_width': Must be greater than or equal to 0.0."),
    ("POST", "/v2/models/mirror_model/infer",
     {"inputs": [tensor("image", "BYTES", [base64.b64encode(b"GIF89a not a png").decode()])]},
     None, 400, "Row 0, input 'image':"),
    ("POST", INFER, iris_body([ROWS[0]] * (MAX_ROWS + 1)), None, 413,
     f"A request holds at most {MAX_ROWS} rows"),
    ("POST", INFER, b"{" + b" " * MAX_BODY_BYTES + b"}", JSON, 413,
     f"Request body is larger than the limit of {MAX_BODY_BYTES} bytes."),
    ("POST", INFER, b"sepal_length=5.1", {"Content-Type": "application/x-www-form-urlencoded"},
     415, "Content-Type must be application/json"),
    ("POST", "/v2/models/nosuchmodel/infer", iris_body(), None, 404,
     "No model named 'nosuchmodel' is hosted here."),
    ("POST", "/v2/models/iris_model/versions/2.0.0/infer", iris_body(), None, 404,
     "Model 'iris_model' has no version '2.0.0'; it serves version '1.0.0'."),
    ("GET", "/v2/models/iris_model/versions/2.0.0", None, None, 404, "has no version '2.0.0'"),
    ("GET", "/v2/models/nosuchmodel/ready", None, None, 404, "No model named 'nosuchmodel'"),
    ("POST", "/v2/models/load_failing_model/infer", {"inputs": [tensor("value", "INT64", [1])]},
     None, 503, "Model 'load_failing_model' is not ready: artifact weights.bin not found"),
    ("GET", "/v2/models/load_failing_model", None, None, 503, "is not ready"),
    ("POST", "/v2/models/raising_model/infer", {"inputs": [tensor("value", "INT64", [1, 13])]},
     None, 500, "Model 'raising_model' failed on 1 of 2 batch items; the errors have been "
                "logged."),
    ("POST", "/v2/models/bad_output_model/infer", {"inputs": [tensor("value", "INT64", [1])]},
     None, 500, "Model 'bad_output_model'"),
    ("GET", "/v2/nosuchpath", None, None, 404, "No such path: /v2/nosuchpath"),
    ("GET", "/v2/models/iris_model/infer", None, None, 405,
     "Method GET is not allowed on /v2/models/iris_model/infer."),
    ("DELETE", "/v2/models/iris_model", None, None, 405, "Method DELETE is not allowed"),
    ("POST", "/v2/health/ready", b"", None, 405, "Method POST is not allowed"),
]


@pytest.mark.parametrize("accept", ["application/json", "text/html"])
@pytest.mark.parametrize("method, path, body, headers, status, message", ERROR_CASES,
                         ids=[f"{case[4]}-{index}" for index, case in enumerate(ERROR_CASES)])
def test_every_v2_error_is_its_status_and_a_json_error_message(url, accept, method, path, body,
                                                                headers, status, message):
    kwargs = {"data": body} if isinstance(body, bytes) else {"json": body}
    response = requests.request(method, url + path, headers={"Accept": accept, **(headers or {})},
                                timeout=30, **kwargs)
    assert response.status_code == status, response.text
    # Never problem+json, never an HTML page, whatever the client prefers.
    assert response.headers["Content-Type"] == "application/json"
    assert list(response.json()) == ["error"]
    assert message in response.json()["error"]
    assert "Traceback" not in response.text and "secret internal detail" not in response.text
    if status == 405:
        assert "Allow" in response.headers


def test_a_model_that_failed_to_load_makes_v2_readiness_503(url):
    response = requests.get(f"{url}/v2/health/ready", timeout=5)
    assert (response.status_code, response.json()) == (503, {"ready": False})
    assert requests.get(f"{url}/v2/health/live", timeout=5).json() == {"live": True}
    ready = requests.get(f"{url}/v2/models/iris_model/ready", timeout=5)
    assert (ready.status_code, ready.json()) == (200, {"name": "iris_model", "ready": True})


def test_a_chunked_body_over_the_limit_is_413_not_truncated(url):
    chunk = b" " * 65_536

    def body():
        yield b'{"inputs": []}'
        for _ in range(200):  # 13 MB of spaces after valid JSON, sent without a Content-Length
            yield chunk

    response = requests.post(f"{url}/v2/models/iris_model/infer", data=body(),
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert set(response.json()) == {"error"}
