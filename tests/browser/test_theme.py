"""Dark mode: follows the system's colour scheme, and a toggle the browser remembers."""
import pytest
from playwright.sync_api import expect

from browser_support import _watched_page

pytestmark = pytest.mark.browser

STORAGE_KEY = "model-service-theme"


@pytest.fixture
def themed_page(browser, watch):
    """Open pages in a context with the given system colour scheme; closed at the end."""
    contexts = []

    def open_page(scheme, javascript=True):
        context, page = _watched_page(browser, watch, color_scheme=scheme,
                                      java_script_enabled=javascript)
        contexts.append(context)
        return page

    yield open_page
    for context in contexts:
        context.close()


def theme(page):
    return page.evaluate("document.documentElement.dataset.bsTheme")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_pages_follow_the_systems_colour_scheme(themed_page, site, scheme):
    page = themed_page(scheme)
    page.goto(site + "/models/iris_model/predict")
    assert theme(page) == scheme
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (background == "rgb(33, 37, 41)") == (scheme == "dark")


def test_the_toggle_switches_and_is_remembered_until_switched_back(themed_page, site):
    page = themed_page("light")
    page.goto(site + "/")
    toggle = page.get_by_role("button", name="Dark mode")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    assert theme(page) == "dark"
    expect(toggle).to_have_attribute("aria-pressed", "true")
    page.goto(site + "/models/rich_model/metadata")
    assert theme(page) == "dark"
    assert page.evaluate(f"localStorage.getItem('{STORAGE_KEY}')") == "dark"
    page.get_by_role("button", name="Dark mode").click()  # back to the system's: not stored
    assert theme(page) == "light"
    assert page.evaluate(f"localStorage.getItem('{STORAGE_KEY}')") is None


def test_the_mode_is_set_before_the_page_is_drawn_by_a_script_file(themed_page, site):
    page = themed_page("dark")
    response = page.goto(site + "/")
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    script = page.locator("head script[src$='/static/js/theme.js']")
    expect(script).to_have_count(1)
    assert script.evaluate("s => !s.defer && !s.async")  # runs before <body> is parsed
    assert page.locator("script:not([src])").count() == 0


def test_without_javascript_the_toggle_is_hidden_and_the_page_is_light(themed_page, site):
    page = themed_page("dark", javascript=False)
    page.goto(site + "/")
    expect(page.locator("[data-theme-toggle]")).to_be_hidden()
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(255, 255, 255)"
