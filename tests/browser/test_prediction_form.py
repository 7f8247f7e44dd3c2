"""The prediction form generated from a model's JSON Schema, with JavaScript on and off."""
import json

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

IRIS_VALUES = {"Sepal length": "5.1", "Sepal width": "3.5", "Petal length": "1.4",
               "Petal width": "0.2"}


def fill(page, values):
    for label, value in values.items():
        page.get_by_label(label).fill(value)


def result_value(page, path):
    return page.locator("#result-rows tr").filter(
        has=page.locator(f"th code:text-is('{path}')")).locator("td")


def error_of(page, label):
    """The error messages shown for the control labelled ``label`` (by aria-describedby)."""
    control = page.get_by_label(label)
    ids = control.get_attribute("aria-describedby").split()
    return page.locator(f"[id='{ids[-1]}']")


def mark_document(page):
    page.evaluate("window.__sameDocument = true")


def still_same_document(page):
    return page.evaluate("window.__sameDocument === true")


# --- iris ------------------------------------------------------------------------------------


def test_iris_form_predicts_with_javascript_without_reloading(page, site):
    page.goto(site + "/models/iris_model/predict")
    mark_document(page)
    fill(page, IRIS_VALUES)
    page.get_by_role("button", name="Predict").click()
    expect(result_value(page, "species")).to_have_text("setosa")
    assert still_same_document(page)
    assert json.loads(page.locator("#result-json").text_content())["species"] == "setosa"
    sent = json.loads(page.locator("#request-json").text_content())
    assert sent == {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4,
                    "petal_width": 0.2}


def test_iris_form_predicts_without_javascript(static_page, site):
    page = static_page
    page.goto(site + "/models/iris_model/predict")
    fill(page, {**IRIS_VALUES, "Sepal length": "6.7", "Sepal width": "3.0", "Petal length": "5.2",
                "Petal width": "2.3"})
    with page.expect_navigation():
        page.get_by_role("button", name="Predict").click()
    expect(result_value(page, "species")).to_have_text("virginica")
    shown = json.loads(page.locator("#result-json").text_content())
    assert shown["species"] == "virginica"
    expect(page.get_by_label("Petal length")).to_have_value("5.2")  # the form keeps its values


def test_server_shows_errors_next_to_fields_and_keeps_what_was_typed(static_page, site):
    page = static_page
    page.goto(site + "/models/iris_model/predict")
    fill(page, {"Sepal length": "25", "Sepal width": "3.5", "Petal length": "1.4"})
    with page.expect_navigation():
        page.get_by_role("button", name="Predict").click()
    expect(error_of(page, "Sepal length")).to_have_text("Must be at most 20.")
    expect(error_of(page, "Petal width")).to_have_text("Required.")
    expect(page.get_by_label("Sepal length")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Sepal width")).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Sepal length")).to_have_value("25")
    expect(page.get_by_label("Sepal width")).to_have_value("3.5")
    expect(page.get_by_label("Petal length")).to_have_value("1.4")
    expect(page.locator("#form-errors")).to_have_text("Some fields need attention.")
    expect(page.locator("#result")).to_be_hidden()


def test_javascript_shows_field_errors_without_reloading(page, site, watch):
    watch.allow_console(r"status of 422 .*/api/models/iris_model/predict\)")
    page.goto(site + "/models/iris_model/predict")
    mark_document(page)
    fill(page, {"Sepal length": "25", "Sepal width": "3.5", "Petal length": "1.4"})
    page.get_by_role("button", name="Predict").click()
    expect(error_of(page, "Sepal length")).to_have_text("Must be at most 20.")
    expect(error_of(page, "Petal width")).to_have_text("Required.")
    expect(page.get_by_label("Sepal length")).to_be_focused()
    assert still_same_document(page)
    # Correcting the input clears the errors and shows the prediction.
    fill(page, IRIS_VALUES)
    page.get_by_role("button", name="Predict").click()
    expect(result_value(page, "species")).to_have_text("setosa")
    expect(error_of(page, "Sepal length")).to_be_hidden()
    expect(page.get_by_label("Sepal length")).not_to_have_attribute("aria-invalid", "true")


def test_a_failing_model_is_reported_in_the_form_without_its_internals(static_page, site):
    page = static_page
    page.goto(site + "/models/raising_model/predict")
    page.get_by_label("Value").fill("13")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Predict").click()
    assert navigation.value.status == 500
    expect(page.locator("#form-errors")).to_contain_text("failed to make a prediction")
    expect(page.get_by_label("Value")).to_have_value("13")
    assert "secret internal detail" not in page.content()


# --- a richer schema: nested object, enum, boolean, integer range, array, defaults -----------


def test_rich_form_has_the_control_each_field_needs(page, site):
    page.goto(site + "/models/rich_model/predict")
    age = page.get_by_label("Age")
    # Numbers are text inputs with a numeric keypad, so that what cannot be read reaches the
    # server (a number input would send "" for it) and is reported as "not a number".
    expect(age).to_have_attribute("type", "text")
    expect(age).to_have_attribute("inputmode", "numeric")
    expect(age).to_have_attribute("required", "")
    plan = page.get_by_label("Plan")
    assert plan.evaluate("e => e.tagName") == "SELECT"
    assert plan.locator("option").all_text_contents() == ["Choose…", "basic", "plus", "premium"]
    newsletter = page.get_by_label("Newsletter")
    expect(newsletter).to_have_attribute("type", "checkbox")
    expect(newsletter).not_to_be_checked()
    expect(page.get_by_label("Score")).to_have_value("0.5")  # the default
    expect(page.get_by_label("Score")).to_have_attribute("inputmode", "decimal")
    expect(page.get_by_role("textbox", name="Tags, item")).to_have_count(3)
    address = page.get_by_role("group", name="Address")
    expect(address.locator("legend")).to_contain_text("Address")
    expect(address.get_by_label("City")).to_have_attribute("maxlength", "40")
    expect(address.get_by_label("Postcode")).to_have_attribute("pattern", "[0-9]{5}")
    # Required fields are marked, for the eye and for screen readers; help text is attached.
    expect(page.locator("label[for='f-age']")).to_contain_text("(required)")
    expect(page.locator("label[for='f-score']")).not_to_contain_text("(required)")
    expect(page.locator("#f-age-help")).to_have_text("Age in whole years. (from 18 to 120)")


def test_every_control_has_a_label(page, site):
    for path in ("/models/rich_model/predict", "/models/iris_model/predict",
                 "/models/script_model/predict"):
        page.goto(site + path)
        unlabelled = page.evaluate("""() => Array.from(
            document.querySelectorAll("form input:not([type=hidden]), form select, form textarea"))
            .filter(control => control.labels.length === 0).map(control => control.name)""")
        assert unlabelled == [], path


def fill_rich(page):
    page.get_by_label("Age").fill("42")
    page.get_by_label("Plan").select_option("plus")
    page.get_by_label("Newsletter").check()
    page.get_by_label("City").fill("Lyon")


def test_rich_form_predicts_with_javascript_adding_and_removing_rows(page, site):
    page.goto(site + "/models/rich_model/predict")
    fill_rich(page)
    tags = page.get_by_role("textbox", name="Tags, item")
    tags.nth(0).fill("red")
    tags.nth(2).fill("blue")
    page.get_by_role("button", name="Add a row to Tags").click()
    expect(tags).to_have_count(4)
    expect(page.get_by_role("textbox", name="Tags, item 4")).to_be_focused()
    page.get_by_role("textbox", name="Tags, item 4").fill("green")
    page.get_by_role("button", name="Remove Tags, item 1").click()
    expect(tags).to_have_count(3)
    expect(page.get_by_role("textbox", name="Tags, item 1")).to_have_value("")  # renumbered
    page.get_by_role("button", name="Predict").click()
    expect(result_value(page, "summary")).to_have_text(
        "plus customer aged 42 in Lyon, newsletter=yes, score=0.5")
    expect(result_value(page, "tag_count")).to_have_text("2")
    sent = json.loads(page.locator("#request-json").text_content())
    assert sent == {"age": 42, "plan": "plus", "newsletter": True, "score": 0.5,
                    "tags": ["blue", "green"], "address": {"city": "Lyon"}}


def test_rich_form_predicts_without_javascript(static_page, site):
    page = static_page
    page.goto(site + "/models/rich_model/predict")
    expect(page.get_by_role("button", name="Add a row to Tags")).to_be_hidden()
    fill_rich(page)
    page.get_by_label("Score").fill("0.75")
    page.get_by_role("textbox", name="Tags, item 2").fill("vip")
    page.get_by_label("Postcode").fill("69001")
    with page.expect_navigation():
        page.get_by_role("button", name="Predict").click()
    expect(result_value(page, "summary")).to_have_text(
        "plus customer aged 42 in Lyon, newsletter=yes, score=0.75")
    expect(result_value(page, "tag_count")).to_have_text("1")
    expect(page.get_by_label("Newsletter")).to_be_checked()
    expect(page.get_by_label("Plan")).to_have_value('"plus"')
    expect(page.get_by_role("textbox", name="Tags, item 2")).to_have_value("vip")


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_nested_and_row_errors_land_on_their_controls(request, site, watch, javascript):
    page = request.getfixturevalue("page" if javascript else "static_page")
    watch.allow_console(r"status of 422 .*/api/models/rich_model/predict")
    page.goto(site + "/models/rich_model/predict")
    page.get_by_label("Age").fill("150")
    page.get_by_label("Plan").select_option("premium")
    page.get_by_label("Newsletter").check()
    tags = page.get_by_role("textbox", name="Tags, item")
    tags.nth(1).evaluate("e => e.removeAttribute('maxlength')")  # type what the browser would stop
    tags.nth(1).fill("x" * 21)
    tags.nth(2).fill("fine")
    page.get_by_label("Postcode").fill("12")
    if javascript:
        page.get_by_role("button", name="Predict").click()
    else:
        with page.expect_navigation():
            page.get_by_role("button", name="Predict").click()
    expect(error_of(page, "Age")).to_have_text("Must be at most 120.")
    expect(error_of(page, "City")).to_have_text("Required.")
    expect(error_of(page, "Postcode")).to_have_text("Must match the pattern ^[0-9]{5}$.")
    # The first row was blank and left out, yet the message lands on the row that was typed in.
    expect(error_of(page, "Tags, item 2")).to_have_text("At most 20 characters.")
    expect(error_of(page, "Tags, item 3")).to_be_hidden()
    expect(page.get_by_label("Age")).to_have_value("150")
    expect(page.get_by_label("Plan")).to_have_value('"premium"')
    expect(page.get_by_label("Newsletter")).to_be_checked()
    expect(tags.nth(1)).to_have_value("x" * 21)
    expect(tags.nth(2)).to_have_value("fine")
    expect(page.get_by_label("Postcode")).to_have_value("12")
