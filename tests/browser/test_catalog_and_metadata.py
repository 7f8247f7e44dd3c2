"""The catalog and the metadata pages, in a real browser."""
import json
import shutil
import subprocess

import pytest
import requests
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def card(page, name):
    return page.locator(f"article[data-model='{name}']")


def test_catalog_lists_every_model_with_its_version_status_and_description(page, site):
    page.goto(site + "/")
    expect(page).to_have_title("Models · Model Service")
    iris = card(page, "iris_model")
    expect(iris.get_by_role("heading")).to_have_text("Iris Model")
    expect(iris.locator(".status-badge")).to_have_text("ready")
    expect(iris.locator(".model-version")).to_have_text("1.0.0")
    expect(iris).to_contain_text("Predicts the species of an iris flower")
    expect(page.locator("article.model-card")).to_have_count(6)


def test_catalog_shows_why_a_model_failed_and_offers_no_form_for_it(page, site):
    page.goto(site + "/")
    failed = card(page, "load_failing_model")
    expect(failed.locator(".status-badge")).to_have_text("failed")
    expect(failed.locator(".failure-reason")).to_contain_text("artifact weights.bin not found")
    expect(failed.get_by_role("link", name="Try it")).to_have_count(0)
    expect(failed.get_by_role("link", name="Metadata")).to_have_count(1)


def test_catalog_links_lead_to_the_form_and_the_metadata(page, site):
    page.goto(site + "/")
    page.get_by_role("link", name="Try it with Iris Model").click()
    expect(page).to_have_url(site + "/models/iris_model/predict")
    expect(page.get_by_role("heading", level=1)).to_have_text("Iris Model")
    page.get_by_role("link", name="Models", exact=True).first.click()
    page.get_by_role("link", name="Metadata of Iris Model").click()
    expect(page).to_have_url(site + "/models/iris_model/metadata")


def test_footer_shows_the_service_version(page, site):
    from model_service import __version__

    page.goto(site + "/")
    expect(page.locator("footer .service-version")).to_have_text(__version__)


def row(page, caption, path):
    return page.locator(f"table:has(caption:text-is('{caption}')) tr[data-path='{path}']")


def test_iris_metadata_shows_each_field_with_type_constraints_and_description(page, site):
    page.goto(site + "/models/iris_model/metadata")
    expect(page.locator(".model-description")).to_have_text(
        "Predicts the species of an iris flower from four measurements.")
    expect(page.locator("dd.model-version")).to_have_text("1.0.0")
    sepal = row(page, "Input fields", "sepal_length")
    expect(sepal.locator("td").nth(0)).to_have_text("number, in cm")
    expect(sepal.locator("td").nth(1)).to_have_text("yes")
    expect(sepal.locator("td").nth(2)).to_have_text("from 0 to 20")
    expect(sepal.locator("td").nth(4)).to_have_text("Sepal length in cm (typically 4.3 to 7.9).")
    expect(row(page, "Output fields", "species").locator("td").nth(2)).to_have_text(
        "one of: setosa, versicolor, virginica")
    # A nested output object is shown with its own fields below it.
    expect(row(page, "Output fields", "probabilities").locator("td").nth(0)).to_have_text("object")
    expect(row(page, "Output fields", "probabilities.virginica")).to_have_class("depth-1")


def test_metadata_shows_nested_objects_arrays_enums_and_defaults(page, site):
    page.goto(site + "/models/rich_model/metadata")
    cells = lambda path: row(page, "Input fields", path).locator("td")  # noqa: E731
    expect(cells("plan").nth(2)).to_have_text("one of: basic, plus, premium")
    expect(cells("score").nth(3)).to_have_text("0.5")
    expect(cells("newsletter").nth(0)).to_have_text("boolean")
    expect(cells("newsletter").nth(3)).to_have_text("false")
    expect(cells("tags").nth(0)).to_have_text("array of string")
    expect(cells("tags").nth(2)).to_have_text("each item: at most 20 characters")
    expect(cells("address").nth(0)).to_have_text("object")
    expect(cells("address.city").nth(1)).to_have_text("yes")
    expect(cells("address.postcode").nth(1)).to_have_text("no")
    expect(cells("address.postcode").nth(2)).to_have_text("matches the pattern ^[0-9]{5}$")


def test_raw_json_schema_is_collapsed_and_matches_the_api(page, site):
    page.goto(site + "/models/rich_model/metadata")
    block = page.locator("details.schema-json").filter(has_text="Input JSON Schema")
    code = block.locator("pre code")
    expect(code).to_be_hidden()
    block.locator("summary").click()
    expect(code).to_be_visible()
    served = requests.get(site + "/api/models/rich_model/metadata", timeout=5).json()
    assert json.loads(code.text_content()) == served["input_schema"]


def test_curl_example_works_when_pasted_into_a_shell(page, site):
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    page.goto(site + "/models/iris_model/metadata")
    command = page.locator("#curl-example").text_content()
    assert command.startswith(f"curl -X POST {site}/api/models/iris_model/predict")
    answer = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=30,
                            check=True)
    assert json.loads(answer.stdout)["species"] == "setosa"


def test_generated_curl_example_is_valid_input(page, site):
    page.goto(site + "/models/rich_model/metadata")
    command = page.locator("#curl-example").text_content()
    body = command.split(" -d ", 1)[1].strip().strip("'")
    answer = requests.post(site + "/api/models/rich_model/predict", data=body,
                           headers={"Content-Type": "application/json"}, timeout=5)
    assert answer.status_code == 200, answer.text


def test_copy_button_appears_with_javascript_and_copies(page, site):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(site + "/models/iris_model/metadata")
    button = page.locator("button[data-copy='curl-example']")
    expect(button).to_have_text("Copy")
    button.click()
    expect(button).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()").startswith("curl -X POST")


def test_metadata_of_a_failed_model_says_why(page, site):
    page.goto(site + "/models/load_failing_model/metadata")
    expect(page.locator(".failure-reason")).to_contain_text("artifact weights.bin not found")
    expect(page.locator(".status-badge")).to_have_text("failed")
