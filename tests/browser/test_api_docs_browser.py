"""Swagger UI in a real browser: renders offline under the CSP, and "Try it out" predicts."""
from __future__ import annotations

import shutil

import pytest

pytestmark = pytest.mark.browser

IRIS = {"class_path": "iris_model.IrisModel"}

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture
def docs_page(make_app, serve):
    """A chromium page on /api/docs that records console errors and requests to other origins."""
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = shutil.which("chromium")
    if not executable:
        pytest.skip("Debian's chromium is not installed (make chromium)")
    url = serve(make_app([IRIS]))
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.errors, page.foreign = [], []
        page.on("console", lambda message: message.type == "error" and page.errors.append(
            message.text))
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.on("request", lambda request: not request.url.startswith(url) and
                not request.url.startswith("data:") and page.foreign.append(request.url))
        page.goto(f"{url}/api/docs")
        yield page
        browser.close()


def test_docs_render_every_operation_without_csp_errors_or_other_origins(docs_page):
    docs_page.wait_for_selector("#operations-iris_model-predictIrisModel")
    assert docs_page.locator(".opblock").count() >= 10
    assert docs_page.locator(".info .title").inner_text().startswith("Model Service")
    assert docs_page.errors == []
    assert docs_page.foreign == []


def test_try_it_out_on_iris_predict_returns_a_species(docs_page):
    operation = docs_page.locator("#operations-iris_model-predictIrisModel")
    operation.locator(".opblock-summary").click()
    operation.locator(".try-out__btn").click()
    body = operation.locator("textarea.body-param__text")
    assert '"sepal_length": 5.1' in body.input_value()  # the model's first example
    operation.locator("button.execute").click()
    live = operation.locator(".live-responses-table tr.response")
    result = live.locator(".response-col_status").first
    result.wait_for()
    assert result.inner_text().strip().startswith("200")
    answer = live.locator(".response-col_description pre").first
    assert '"species": "setosa"' in answer.inner_text()
    assert docs_page.errors == []
