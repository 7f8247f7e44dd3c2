"""With API keys on, a browser signs in once, then uses the pages and their JSON calls."""
import re

import pytest
from playwright.sync_api import expect

from helpers import IRIS, write_models_file
from model_service import create_app
from servers import ThreadedServer

pytestmark = pytest.mark.browser

IRIS_VALUES = {"Sepal length": "5.1", "Sepal width": "3.5", "Petal length": "1.4",
               "Petal width": "0.2"}


@pytest.fixture(scope="module")
def keyed_site(tmp_path_factory):
    models_file = write_models_file(tmp_path_factory.mktemp("keyed"), [IRIS])
    app = create_app({"TESTING": True, "MODEL_SERVICE_CONFIG": str(models_file),
                      "API_KEYS": "browser-key"}, settings="testing")
    with ThreadedServer(app) as server:
        yield server.url


def test_a_browser_signs_in_once_then_predicts_and_signs_out(page, keyed_site, watch):
    page.goto(keyed_site + "/models/iris_model/predict")
    expect(page).to_have_url(re.compile(r"/signin\?next="))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    page.get_by_label("API key").fill("a wrong guess")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("This API key is not valid.")
    expect(page.get_by_label("API key")).to_have_attribute("aria-invalid", "true")

    page.get_by_label("API key").fill("browser-key")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(keyed_site + "/models/iris_model/predict")

    for label, value in IRIS_VALUES.items():
        page.get_by_label(label).fill(value)
    page.get_by_role("button", name="Predict").click()  # a JSON call, carried by the session
    expect(page.locator("#result-rows")).to_contain_text("setosa")

    page.get_by_role("button", name="Sign out").click()
    page.goto(keyed_site + "/")
    expect(page).to_have_url(re.compile(r"/signin\?next=/$"))
