"""Browser fixtures (a pytest plugin named in conftest.py): Debian's chromium driven by
Playwright, against a real served app.

Every page a test opens is watched: a request to anywhere but 127.0.0.1, a console error, an
uncaught script error or a dialog (``alert``) fails the test when it ends.
"""
from __future__ import annotations

import re
import shutil
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

from helpers import IRIS, LOAD_FAILING, RAISING, REVIEW, RICH, SCRIPT, write_models_file
from model_service import create_app
from servers import ThreadedServer

BROWSER_MODELS = [IRIS, RICH, REVIEW, SCRIPT, RAISING, LOAD_FAILING]


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The pages of an app hosting iris and the fixture models, served on 127.0.0.1."""
    models_file = write_models_file(tmp_path_factory.mktemp("site"), BROWSER_MODELS)
    app = create_app({"TESTING": True, "MODEL_SERVICE_CONFIG": str(models_file)},
                     settings="testing")

    def fail():
        raise RuntimeError("a bug in a view")

    app.add_url_rule("/boom", "boom", fail)  # for the 500 page
    with ThreadedServer(app) as server:
        yield server.url


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not installed: run `make chromium` (make test does).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable)
        yield browser
        browser.close()


class Watch:
    """What a page did that it must not: outside requests, console errors, dialogs."""

    # Chromium logs every response with an error status as a console error; for a page that is
    # itself an error page (a 404, a form answered 422) the test checks the status instead.
    FAILED_LOAD = "Failed to load resource: the server responded with a status of"

    def __init__(self) -> None:
        self.outside: list[str] = []
        self.console: list[tuple[str, str]] = []
        self.dialogs: list[str] = []
        self.documents: set[str] = set()
        self.allowed: list[re.Pattern] = []

    def allow_console(self, pattern: str) -> None:
        """Expect a console error matching ``pattern``, such as a fetch answered 422."""
        self.allowed.append(re.compile(pattern))

    def route(self, route) -> None:
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def on_console(self, message) -> None:
        if message.type == "error":
            self.console.append((message.text, message.location.get("url", "")))

    def on_response(self, response) -> None:
        if response.request.resource_type == "document":
            self.documents.add(response.url)

    def on_dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def console_errors(self) -> list[str]:
        errors = []
        for text, url in self.console:
            if text.startswith(self.FAILED_LOAD) and url in self.documents:
                continue
            if any(pattern.search(f"{text} ({url})") for pattern in self.allowed):
                continue
            errors.append(f"{text} ({url})")
        return errors

    def problems(self) -> dict:
        found = {"outside requests": self.outside, "console errors": self.console_errors(),
                 "dialogs": self.dialogs}
        return {name: items for name, items in found.items() if items}


def _watched_page(browser, watch: Watch, **context_options):
    context = browser.new_context(**context_options)
    context.route("**/*", watch.route)
    page = context.new_page()
    page.on("console", watch.on_console)
    page.on("response", watch.on_response)
    page.on("pageerror", lambda error: watch.console.append((f"uncaught: {error}", page.url)))
    page.on("dialog", watch.on_dialog)
    page.set_default_timeout(10_000)
    return context, page


@pytest.fixture
def watch():
    found = Watch()
    yield found
    assert not found.problems(), found.problems()


@pytest.fixture
def page(browser, watch):
    """A page with JavaScript on."""
    context, page = _watched_page(browser, watch)
    yield page
    context.close()


@pytest.fixture
def static_page(browser, watch):
    """A page with JavaScript turned off."""
    context, page = _watched_page(browser, watch, java_script_enabled=False)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, watch):
    """A phone-sized page (375 CSS pixels wide), JavaScript on."""
    context, page = _watched_page(browser, watch, viewport={"width": 375, "height": 740},
                                  is_mobile=True, has_touch=True)
    yield page
    context.close()
