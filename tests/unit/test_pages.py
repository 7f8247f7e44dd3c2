"""The HTML pages through Flask's test client: statuses, escaping, CSRF, and parity with the API."""
import io
import re

import pytest

from helpers import ECHO, IRIS, LOAD_FAILING, RAISING, RICH, SCRIPT
from fixture_models.echo_model import EchoModel
from model_service.core.values import text_to_value
from model_service.web.form_parsing import parse_form
from model_service.web.messages import in_words
from model_service.web.schema_view import build_tree
from model_service.core.validation import model_json_schemas


@pytest.fixture
def pages(make_app):
    return make_app([IRIS, ECHO, RICH, SCRIPT, RAISING, LOAD_FAILING]).test_client()


def csrf_token(client, path):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def post_form(client, name, fields, token=True):
    path = f"/models/{name}/predict"
    data = dict(fields)
    if token:
        data["csrf_token"] = csrf_token(client, path)
    return client.post(path, data=data)


def test_catalog_lists_ready_and_failed_models(pages):
    html = pages.get("/").get_data(as_text=True)
    for name in ("iris_model", "echo_model", "rich_model", "load_failing_model"):
        assert f'data-model="{name}"' in html
    assert "artifact weights.bin not found" in html
    assert 'href="/models/iris_model/predict"' in html
    assert 'href="/models/load_failing_model/predict"' not in html


def test_markup_from_a_model_package_is_escaped_everywhere(pages):
    for path in ("/", "/models/script_model/metadata", "/models/script_model/predict"):
        html = pages.get(path).get_data(as_text=True)
        assert "<script>window.__pwned" not in html and "<script>alert" not in html, path
        assert "<img src=x" not in html and "<i>1</i>" not in html, path
    assert "&lt;script&gt;window.__pwned" in pages.get("/").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/", "/models/iris_model/metadata", "/models/iris_model/predict",
                                  "/models/nope/metadata", "/static/css/site.css",
                                  "/bootstrap/static/css/bootstrap.min.css"])
def test_every_page_and_asset_carries_the_content_security_policy(pages, path):
    with pages.get(path) as response:
        policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_bootstrap_is_served_from_our_origin(pages):
    html = pages.get("/").get_data(as_text=True)
    assert 'href="/bootstrap/static/css/bootstrap.min.css"' in html
    assert "cdn." not in html and "https://" not in html


@pytest.mark.parametrize("method, path, status", [
    ("get", "/models/nope/predict", 404), ("get", "/models/nope/metadata", 404),
    ("get", "/no/such/page", 404), ("put", "/models/iris_model/predict", 405),
    ("post", "/", 405), ("get", "/models/load_failing_model/predict", 503)])
def test_page_errors_are_html_in_the_site_layout(pages, method, path, status):
    response = getattr(pages, method)(path)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert 'aria-label="Main"' in html and "Traceback" not in html


def test_the_form_predicts_through_the_api_code_path(pages):
    response = post_form(pages, "iris_model", {"sepal_length": "5.1", "sepal_width": "3.5",
                                               "petal_length": "1.4", "petal_width": "0.2"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r"<code[^>]*>species</code></th><td[^>]*>setosa</td>", html)


@pytest.mark.parametrize("fields", [
    {"value": "150"}, {"value": "1.5"}, {"value": "abc"}, {"value": ""}, {"label": "x" * 11},
])
def test_the_form_says_in_words_what_the_api_says_exactly(pages, fields):
    form = {"value": "", "label": "", **fields}
    response = post_form(pages, "echo_model", form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Some fields need attention." in html
    schema, _ = model_json_schemas("echo_model", EchoModel)
    body, _ = parse_form(build_tree(schema), form)
    api = pages.post("/api/models/echo_model/predict", json=body)
    assert api.status_code == 422
    for field, messages in api.get_json()["errors"].items():
        for message in messages:
            assert f"<div>{in_words(message)}</div>" in html.replace("&#39;", "'"), (field, message)


@pytest.mark.parametrize("value, api_message, page_message", [
    ("150", "Must be less than or equal to 100.", "Must be at most 100."),
    ("1.5", "Not a valid value: expected an integer, got a number.", "Must be a whole number."),
    ("1e", "Not a valid value: expected an integer, got a string.", "Must be a whole number."),
    ("", "Missing data for required field.", "Required."),
])
def test_a_page_message_is_in_peoples_words_while_the_api_keeps_its_own(pages, value,
                                                                        api_message, page_message):
    html = post_form(pages, "echo_model", {"value": value}).get_data(as_text=True)
    assert f"<div>{page_message}</div>" in html and api_message not in html
    body = {"value": text_to_value("integer", value)} if value else {}
    assert pages.post("/api/models/echo_model/predict", json=body).get_json()["errors"] == {
        "value": [api_message]}


def test_a_post_without_a_csrf_token_predicts_nothing_and_keeps_the_values(pages):
    response = post_form(pages, "raising_model", {"value": "13"}, token=False)
    assert response.status_code == 400  # 13 would have made the model raise (a 500)
    html = response.get_data(as_text=True)
    assert "The form had expired" in html
    assert 'value="13" id="f-value" name="value"' in html
    assert re.search(r'<section id="result"[^>]* hidden>', html)


def test_a_post_with_a_forged_csrf_token_is_refused(pages):
    response = pages.post("/models/echo_model/predict", data={"value": "3", "csrf_token": "forged"})
    assert response.status_code == 400
    assert "The form had expired" in response.get_data(as_text=True)


def test_a_model_failure_keeps_the_form_and_hides_the_internals(pages):
    response = post_form(pages, "raising_model", {"value": "13"})
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "failed to make a prediction" in html and "secret internal detail" not in html


def test_metadata_page_shows_the_same_schema_as_the_api(pages):
    html = pages.get("/models/rich_model/metadata").get_data(as_text=True)
    api = pages.get("/api/models/rich_model/metadata").get_json()
    assert api["input_schema"]["title"] in html
    assert 'data-path="address.city"' in html and 'data-path="tags"' in html


def test_catalog_is_sorted_by_display_name_and_filtered_by_the_query(pages):
    html = pages.get("/").get_data(as_text=True)
    order = re.findall(r'data-model="([a-z_]+)"', html)
    assert order.index("echo_model") < order.index("iris_model") < order.index("rich_model")
    assert ">6 models<" in html
    filtered = pages.get("/?q=DOUBLES").get_data(as_text=True)
    assert ">1 of 6 models<" in filtered
    visible = re.findall(r'<li class="col" data-search="[^"]*">\s*<article[^>]*data-model="([a-z_]+)"',
                         filtered)
    assert visible == ["echo_model"]


def test_a_card_sums_up_inputs_by_kind_and_names_the_outputs():
    from model_service.web.catalog_view import input_words, output_words

    tree = build_tree({"type": "object", "properties": {
        "a": {"type": "integer"}, "b": {"type": "number"}, "c": {"type": "boolean"},
        "d": {"type": "string", "maxLength": 1000}, "e": {"enum": ["x", "y"]}}})
    assert input_words(tree) == "2 numbers, a yes/no, a long text and a choice"
    outputs = build_tree({"type": "object", "properties": {
        key: {"type": "number"} for key in ("userID", "score", "label_text", "x")}})
    assert output_words(outputs) == "user ID, score and 2 more"
    assert input_words(build_tree({"type": "object", "properties": {}})) == "nothing"


@pytest.mark.parametrize("path", ["/no/such/page", "/models/nope/predict",
                                  "/models/load_failing_model/predict"])
def test_error_pages_show_the_request_id_they_answer_with(pages, path):
    response = pages.get(path)
    request_id = response.headers["X-Request-ID"]
    assert f'<code class="request-id text-break">{request_id}</code>' in response.get_data(as_text=True)


# --- the batch page ------------------------------------------------------------------------

IRIS_CSV = ("sepal_length,sepal_width,petal_length,petal_width\n"
            "5.1,3.5,1.4,0.2\n1e,3.0,5.2,2.3\n6.7,3.0,5.2,\n")


def post_batch(client, name, token=True, **fields):
    path = f"/models/{name}/batch"
    data = dict(fields)
    if token:
        data["csrf_token"] = csrf_token(client, path)
    return client.post(path, data=data, content_type="multipart/form-data")


def test_a_batch_file_is_shown_with_each_bad_rows_errors_by_field(pages):
    response = post_batch(pages, "iris_model", file=(io.BytesIO(IRIS_CSV.encode()), "rows.csv"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r"1 of 3 rows predicted; <strong>2 need attention</strong>", html)
    assert re.search(r'<li data-row="2">Row 2: <span[^>]*>sepal_length: Not a number\.</span>', html)
    assert re.search(r'<li data-row="3">Row 3: <span[^>]*>petal_width: Required\.</span>', html)
    assert '<tr data-row="1">' in html and '<tr data-row="2" class="table-danger">' in html
    assert 'download="iris_model-predictions.csv"' in html and 'href="data:text/csv;base64,' in html


@pytest.mark.parametrize("output, media_type, first", [
    ("csv", "text/csv", "row,sepal_length,sepal_width,petal_length,petal_width,species,"),
    ("jsonl", "application/x-ndjson", '{"row":1,"input":{"sepal_length":5.1,'),
])
def test_a_batch_can_be_answered_as_a_download(pages, output, media_type, first):
    response = post_batch(pages, "iris_model", output=output,
                          file=(io.BytesIO(IRIS_CSV.encode()), "rows.csv"))
    assert response.status_code == 200 and response.mimetype == media_type
    extension = "csv" if output == "csv" else "jsonl"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="iris_model-predictions.{extension}"')
    body = response.get_data(as_text=True)
    assert body.startswith(first) and len(body.splitlines()) == (4 if output == "csv" else 3)
    if output == "csv":
        assert body.splitlines()[2].endswith(",sepal_length: Not a number.")


def test_pasted_rows_are_read_like_a_file_and_kept_in_the_form(pages):
    pasted = '{"value": 2}\r\n{"value": "x"}\r\n'
    html = post_batch(pages, "echo_model", rows=pasted).get_data(as_text=True)
    assert "1 of 2 rows predicted" in html and "value: Must be a whole number." in html
    assert '{&#34;value&#34;: 2}' in html  # the textarea keeps what was pasted


@pytest.mark.parametrize("fields, message", [
    ({"rows": "  \n"}, "Choose a file or paste some rows first."),
    ({"rows": '{"value": 1}', "format": "json"}, "A .json input must hold a JSON array"),
    ({"file": (io.BytesIO(b"value\n\xff\xfe\n"), "rows.csv")}, "not UTF-8 text"),
    ({"rows": "value\n"}, "holds no rows"),
])
def test_a_batch_without_readable_rows_says_what_to_do(pages, fields, message):
    response = post_batch(pages, "echo_model", **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_a_batch_post_needs_its_csrf_token(pages):
    response = post_batch(pages, "raising_model", token=False, rows='{"value": 13}')
    assert response.status_code == 400 and "The form had expired" in response.get_data(as_text=True)


def test_pasted_rows_over_the_form_field_limit_are_told_to_come_as_a_file(make_app):
    client = make_app([ECHO], MAX_FORM_MEMORY_SIZE=1000).test_client()
    response = post_batch(client, "echo_model", rows='{"value": 1}\n' * 200)
    assert response.status_code == 413
    assert "Pasted rows are limited to 1000 bytes" in response.get_data(as_text=True)


def test_the_batch_page_of_a_failed_model_is_a_503(pages):
    assert pages.get("/models/load_failing_model/batch").status_code == 503
