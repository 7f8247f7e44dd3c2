"""Swagger UI in a real browser: renders offline under the CSP, and "Try it out" predicts."""
import pytest

pytestmark = pytest.mark.browser


@pytest.fixture
def docs_page(page, site):
    """The docs page in the shared chromium, whose ``watch`` fails a test on any console error
    (a CSP refusal is one) and on any request to another origin."""
    page.goto(f"{site}/api/docs")
    return page


def test_docs_render_every_operation_without_csp_errors_or_other_origins(docs_page):
    docs_page.wait_for_selector("#operations-iris_model-predictIrisModel")
    assert docs_page.locator(".opblock").count() >= 10
    assert docs_page.locator(".info .title").inner_text().startswith("Model Service")


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
