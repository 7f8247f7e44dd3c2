"""Error pages carry the request id; the API docs fit a phone; the form links to the schema."""
import json

import pytest
import requests
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path, status", [("/boom", 500), ("/no/such/page", 404),
                                          ("/models/nope/metadata", 404),
                                          ("/models/load_failing_model/predict", 503),
                                          ("/models/iris_model/predict?example=9", 404)])
def test_every_error_page_shows_the_request_id_of_its_log_line(page, site, path, status):
    response = page.goto(site + path)
    assert response.status == status
    shown = page.locator(".request-id")
    expect(shown).to_have_text(response.headers["x-request-id"])
    assert "Traceback" not in page.content()


def test_a_request_id_sent_by_a_proxy_is_the_one_shown(site):
    answer = requests.get(site + "/boom", headers={"X-Request-ID": "edge-1234"}, timeout=5)
    assert answer.status_code == 500
    assert '<code class="request-id text-break">edge-1234</code>' in answer.text


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_a_model_failure_in_the_form_says_which_request_to_look_for(request, site, watch,
                                                                     javascript):
    watch.allow_console(r"status of 500 .*/api/models/raising_model/predict")
    page = request.getfixturevalue("page" if javascript else "static_page")
    page.goto(site + "/models/raising_model/predict")
    page.get_by_label("Value").fill("13")
    if javascript:
        with page.expect_response("**/api/models/raising_model/predict") as answer:
            page.get_by_role("button", name="Predict").click()
        request_id = answer.value.headers["x-request-id"]
    else:
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name="Predict").click()
        request_id = navigation.value.headers["x-request-id"]
    expect(page.locator("#form-errors")).to_contain_text(
        f"Request id {request_id}: quote it when you report this.")


def test_the_form_links_to_the_models_json_schema_and_metadata(page, site):
    page.goto(site + "/models/iris_model/predict")
    page.get_by_role("link", name="JSON Schema and metadata").click()
    served = json.loads(page.locator("body").inner_text())
    assert served["input_schema"]["properties"]["sepal_length"]["x-unit"] == "cm"
    page.goto(site + "/models/iris_model/predict")
    page.get_by_role("link", name="What this model expects").click()
    expect(page).to_have_url(site + "/models/iris_model/metadata")


def test_the_api_docs_fit_a_390_pixel_phone_even_with_a_response_shown(browser, watch, site):
    from browser_support import _watched_page

    context, page = _watched_page(browser, watch, viewport={"width": 390, "height": 844},
                                  is_mobile=True, has_touch=True)
    try:
        page.goto(site + "/api/docs")
        expect(page.get_by_role("link", name="openapi.yaml", exact=True)).to_be_in_viewport()
        operation = page.locator("#operations-iris_model-predictIrisModel")
        operation.locator(".opblock-summary").click()
        operation.locator(".try-out__btn").click()
        operation.locator("button.execute").click()
        status = operation.locator(".live-responses-table tr.response .response-col_status")
        expect(status.first).to_contain_text("200")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
