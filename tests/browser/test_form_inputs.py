"""Inputs of the prediction form: long text, examples, reset, placeholders, numbers as text.

Each behaviour is checked with JavaScript on and off: the form must work the same without it.
"""
import json

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

BOTH = pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])


def browser_page(request, javascript):
    return request.getfixturevalue("page" if javascript else "static_page")


def submit(page, javascript):
    if javascript:
        page.get_by_role("button", name="Predict").click()
    else:
        with page.expect_navigation():
            page.get_by_role("button", name="Predict").click()


def error_of(page, label):
    ids = page.get_by_label(label).get_attribute("aria-describedby").split()
    return page.locator(f"[id='{ids[-1]}']")


@BOTH
def test_long_text_keeps_its_line_breaks_end_to_end(request, site, watch, javascript):
    page = browser_page(request, javascript)
    page.goto(site + "/models/review_model/predict")
    review = page.get_by_label("Review")
    assert review.evaluate("e => e.tagName") == "TEXTAREA"
    expect(review).to_have_attribute("maxlength", "5000")
    text = "\nGood price.\nGood service.\n\nWould buy again."  # a leading break too
    page.get_by_label("Title").fill("Happy")
    review.fill(text)
    submit(page, javascript)
    expect(page.locator("#result")).to_be_visible()
    assert json.loads(page.locator("#request-json").text_content())["review"] == text
    assert json.loads(page.locator("#result-json").text_content())["echo"] == text
    expect(page.locator("tr[data-path='echo'] p.text-output")).to_have_text(
        ["\nGood price.\nGood service.", "Would buy again."])
    # The break survives the paragraph's rendering: two lines in the first paragraph.
    first = page.locator("tr[data-path='echo'] p.text-output").first
    assert first.evaluate("p => p.innerText.split('\\n').filter(Boolean).length") == 2
    expect(review).to_have_value(text)  # kept in the form, first line break included


@BOTH
def test_examples_fill_the_form_and_predict(request, site, javascript):
    page = browser_page(request, javascript)
    page.goto(site + "/models/iris_model/predict")
    expect(page.get_by_label("Sepal length")).to_have_value("")
    with page.expect_navigation():
        page.get_by_role("link", name="Example 2").click()
    expect(page).to_have_url(site + "/models/iris_model/predict?example=2")
    expect(page.get_by_role("link", name="Example 2")).to_have_attribute("aria-current", "true")
    expect(page.get_by_label("Sepal length")).to_have_value("6.7")
    expect(page.get_by_label("Petal width")).to_have_value("2.3")
    submit(page, javascript)
    expect(page.locator("tr[data-path='species'] td")).to_have_text("virginica")


def test_an_example_with_line_breaks_and_optional_fields_fills_every_control(static_page, site):
    page = static_page
    page.goto(site + "/models/review_model/predict?example=2")
    expect(page.get_by_label("Notes")).to_have_value("Call back.\nOffer a refund.")
    expect(page.get_by_label("Stars")).to_have_value("1")
    page.goto(site + "/models/rich_model/predict")
    expect(page.get_by_role("navigation", name="Examples")).to_have_count(0)  # it has none


def test_an_unknown_example_is_a_404_page_that_says_how_many_there_are(page, site):
    response = page.goto(site + "/models/iris_model/predict?example=3")
    assert response.status == 404
    expect(page.locator("main")).to_contain_text("has no example '3'; it has 2 examples")


@BOTH
def test_reset_brings_back_the_fresh_form(request, site, watch, javascript):
    watch.allow_console(r"status of 422 .*/api/models/rich_model/predict")
    page = browser_page(request, javascript)
    page.goto(site + "/models/rich_model/predict")
    page.get_by_label("Score").fill("0.9")
    page.get_by_label("Age").fill("500")
    submit(page, javascript)
    expect(error_of(page, "Age")).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("link", name="Reset").click()
    expect(page.get_by_label("Score")).to_have_value("0.5")
    expect(page.get_by_label("Age")).to_have_value("")
    expect(error_of(page, "Age")).to_be_hidden()


def test_placeholders_say_they_are_examples_and_units_sit_by_their_input(page, site):
    page.goto(site + "/models/iris_model/predict")
    sepal = page.get_by_label("Sepal length")
    expect(sepal).to_have_attribute("placeholder", "e.g. 5.1")
    expect(sepal).to_have_value("")
    assert sepal.evaluate("e => getComputedStyle(e, '::placeholder').fontStyle") == "italic"
    unit = page.locator("#" + sepal.get_attribute("aria-describedby").split()[0])
    expect(unit).to_have_text("cm")
    expect(unit).to_be_visible()


@BOTH
@pytest.mark.parametrize("typed, said", [("1e", "Not a number."), ("5,1", "Not a number."),
                                         ("abc", "Not a number.")])
def test_text_a_number_field_cannot_read_is_not_a_number_never_missing(
        request, site, watch, javascript, typed, said):
    watch.allow_console(r"status of 422 .*/api/models/iris_model/predict")
    page = browser_page(request, javascript)
    page.goto(site + "/models/iris_model/predict?example=1")
    page.get_by_label("Sepal length").fill(typed)
    submit(page, javascript)
    expect(error_of(page, "Sepal length")).to_have_text(said)
    expect(page.locator("#form-errors")).to_have_text("Some fields need attention.")
    expect(page.get_by_label("Sepal length")).to_have_value(typed)


@BOTH
def test_messages_are_in_peoples_words(request, site, watch, javascript):
    watch.allow_console(r"status of 422 .*/api/models/(rich|review)_model/predict")
    page = browser_page(request, javascript)
    page.goto(site + "/models/rich_model/predict")
    page.get_by_label("Age").fill("41.5")
    submit(page, javascript)
    expect(error_of(page, "Age")).to_have_text("Must be a whole number.")
    expect(error_of(page, "Plan")).to_have_text("Required.")
    page.goto(site + "/models/review_model/predict")
    title = page.get_by_label("Title")
    title.evaluate("e => e.removeAttribute('maxlength')")  # type what the browser would stop
    title.fill("x" * 81)
    page.get_by_label("Review").fill("ok")
    page.get_by_label("Stars").fill("9")
    submit(page, javascript)
    expect(error_of(page, "Title")).to_have_text("At most 80 characters.")
    expect(error_of(page, "Stars")).to_have_text("Must be at most 5.")
