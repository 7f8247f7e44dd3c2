"""Escaping, error pages, the content security policy and phone-width layout, in a browser."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PAGES = ["/", "/models/iris_model/metadata", "/models/iris_model/predict",
         "/models/rich_model/metadata", "/models/rich_model/predict"]


def test_markup_from_a_model_package_is_shown_as_text_and_never_run(page, site):
    page.goto(site + "/")
    card = page.locator("article[data-model='script_model']")
    expect(card.get_by_role("heading")).to_have_text("<script>alert('name')</script>")
    expect(card).to_contain_text("<script>window.__pwned = true; alert(1)</script> An innocent model.")
    expect(card.locator(".model-version")).to_have_text("<i>1</i>")

    page.goto(site + "/models/script_model/metadata")
    expect(page.locator(".model-description")).to_have_text(
        "<script>window.__pwned = true; alert(1)</script> An innocent model.")
    expect(page.locator("tr[data-path='choice'] td").nth(4)).to_have_text("<img src=x onerror=alert(3)>")

    page.goto(site + "/models/script_model/predict")
    choice = page.get_by_label("Choice")
    assert choice.locator("option").all_text_contents() == [
        "Choose…", "<b>bold</b>", "<script>alert(2)</script>"]
    choice.select_option(label="<script>alert(2)</script>")
    page.get_by_role("button", name="Predict").click()
    expect(page.locator("#result-rows td")).to_have_text("<script>alert(2)</script>")
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img[src=x]").count() == 0
    # The `watch` fixture fails the test if any alert() opened a dialog.


def test_markup_is_escaped_without_javascript_too(static_page, site):
    page = static_page
    page.goto(site + "/models/script_model/predict")
    page.get_by_label("Choice").select_option(label="<b>bold</b>")
    with page.expect_navigation():
        page.get_by_role("button", name="Predict").click()
    expect(page.locator("#result-rows td")).to_have_text("<b>bold</b>")
    assert page.locator("#result-rows b").count() == 0


@pytest.mark.parametrize("path", PAGES + ["/models/nope/metadata", "/no/such/page"])
def test_every_page_has_a_content_security_policy_without_inline_scripts(page, site, path):
    response = page.goto(site + path)
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert page.locator("script:not([src])").count() == 0


def test_unknown_model_gets_an_html_404_in_the_site_layout(page, site):
    response = page.goto(site + "/models/nope/predict")
    assert response.status == 404
    assert response.headers["content-type"].startswith("text/html")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not Found")
    expect(page.locator("main")).to_contain_text("No model named 'nope' is hosted here.")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def test_wrong_method_gets_an_html_405_in_the_site_layout(page, site):
    response = page.request.delete(site + "/models/iris_model/predict")
    assert response.status == 405
    assert response.headers["content-type"].startswith("text/html")
    page.set_content(response.text())
    expect(page.get_by_role("heading", level=1)).to_have_text("Method Not Allowed")
    expect(page.get_by_role("navigation", name="Main")).to_have_count(1)


def test_a_bug_gets_an_html_500_without_a_traceback(page, site):
    response = page.goto(site + "/boom")
    assert response.status == 500
    assert response.headers["content-type"].startswith("text/html")
    expect(page.get_by_role("heading", level=1)).to_have_text("Internal Server Error")
    assert "Traceback" not in page.content()
    assert "a bug in a view" not in page.content()


def test_a_failed_model_form_is_an_html_503_that_says_why(page, site):
    response = page.goto(site + "/models/load_failing_model/predict")
    assert response.status == 503
    expect(page.locator("main")).to_contain_text("artifact weights.bin not found")


@pytest.mark.parametrize("path", PAGES)
def test_pages_fit_a_phone_screen(phone_page, site, path):
    page = phone_page
    page.goto(site + path)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"{path} is {width}px wide"
    expect(page.get_by_role("link", name="Models", exact=True).first).to_be_visible()


def test_the_watch_catches_requests_outside_127_0_0_1(browser):
    from browser_support import Watch, _watched_page

    watch = Watch()
    context, page = _watched_page(browser, watch)
    page.set_content('<img src="https://cdn.example.com/x.png">')
    page.wait_for_timeout(200)
    context.close()
    assert watch.outside == ["https://cdn.example.com/x.png"]
