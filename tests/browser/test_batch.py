"""The batch page in a browser: a CSV or JSON Lines file, or pasted rows, with and without
JavaScript; bad rows by number and field; downloads."""
import csv
import io
import json

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

BOTH = pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])

IRIS_CSV = ("sepal_length,sepal_width,petal_length,petal_width\n"
            "5.1,3.5,1.4,0.2\n1e,3.0,5.2,2.3\n6.7,3.0,5.2,\n6.0,2.2,4.0,1.0\n")


def open_batch(request, site, javascript, model="iris_model"):
    page = request.getfixturevalue("page" if javascript else "static_page")
    page.goto(f"{site}/models/{model}/batch")
    return page


def choose(page, tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    page.get_by_label("File").set_input_files(path)


def predict(page, javascript):
    if javascript:
        page.get_by_role("button", name="Predict", exact=True).click()
    else:
        with page.expect_navigation():
            page.get_by_role("button", name="Predict", exact=True).click()
    expect(page.locator(".batch-summary")).to_be_visible()


@BOTH
def test_a_csv_file_is_predicted_with_bad_rows_named_by_number_and_field(request, site, tmp_path,
                                                                          javascript):
    page = open_batch(request, site, javascript)
    if javascript:
        page.evaluate("window.__sameDocument = true")
    choose(page, tmp_path, "rows.csv", IRIS_CSV)
    predict(page, javascript)
    expect(page.locator(".batch-summary")).to_have_text("2 of 4 rows predicted; 2 need attention.")
    expect(page.locator(".batch-problems li")).to_have_text(
        ["Row 2: sepal_length: Not a number.", "Row 3: petal_width: Required."])
    table = page.locator(".batch-table tbody tr")
    expect(table).to_have_count(4)
    expect(table.nth(1)).to_have_class("table-danger")
    expect(table.nth(0).locator("td").nth(4)).to_have_text("setosa")
    expect(table.nth(3).locator("td").nth(4)).to_have_text("versicolor")
    if javascript:  # the page stayed, so the file is still chosen for a download
        assert page.evaluate("window.__sameDocument === true")
        assert page.get_by_label("File").evaluate("input => input.files[0].name") == "rows.csv"
        expect(page.locator("#batch-progress")).to_be_hidden()


@BOTH
def test_the_results_download_as_csv_with_inputs_predictions_and_errors(request, site, tmp_path,
                                                                        javascript):
    page = open_batch(request, site, javascript)
    choose(page, tmp_path, "rows.csv", IRIS_CSV)
    with page.expect_download() as download:
        page.get_by_role("button", name="Predict and download CSV").click()
    assert download.value.suggested_filename == "iris_model-predictions.csv"
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert [row["row"] for row in rows] == ["1", "2", "3", "4"]
    assert rows[0]["species"] == "setosa" and float(rows[0]["probabilities.setosa"]) > 0.9
    assert rows[1]["error"] == "sepal_length: Not a number." and rows[1]["species"] == ""
    assert rows[2]["petal_length"] == "5.2"


@BOTH
def test_the_download_links_of_the_results_hold_every_row(request, site, tmp_path, javascript):
    page = open_batch(request, site, javascript)
    choose(page, tmp_path, "rows.csv", IRIS_CSV)
    predict(page, javascript)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download JSON Lines").click()
    assert download.value.suggested_filename == "iris_model-predictions.jsonl"
    lines = [json.loads(line) for line in download.value.path().read_text().splitlines()]
    assert [line["row"] for line in lines] == [1, 2, 3, 4]
    assert lines[1]["errors"] == {"sepal_length": [
        "Not a valid value: expected a number, got a string."]}  # the exact message, as the API
    assert lines[3]["result"]["species"] == "versicolor"


@BOTH
def test_pasted_json_lines_with_long_text_are_predicted(request, site, javascript):
    page = open_batch(request, site, javascript, model="review_model")
    rows = [{"title": "a", "review": "Good.\nGood price."}, {"title": "b"},
            {"title": "c", "review": "Bad service."}]
    page.get_by_label("Or paste rows").fill("\n".join(json.dumps(row) for row in rows))
    predict(page, javascript)
    expect(page.locator(".batch-summary")).to_have_text("2 of 3 rows predicted; 1 needs attention.")
    expect(page.locator(".batch-problems li")).to_have_text(["Row 2: review: Required."])
    headers = page.locator(".batch-table thead tr").nth(1).locator("th").all_text_contents()
    assert headers[:3] == ["title", "review", "sentiment.positive"]
    echo = page.locator(".batch-table tbody tr").first.locator("td").nth(headers.index("echo"))
    assert echo.inner_text() == "Good.\nGood price."  # the line break is kept


def test_a_file_the_page_cannot_read_is_said_so_next_to_the_form(page, site, tmp_path, watch):
    page.goto(site + "/models/iris_model/batch")
    choose(page, tmp_path, "rows.json", '{"not": "an array"}')
    page.get_by_role("button", name="Predict", exact=True).click()
    expect(page.locator("#batch-errors")).to_have_text(
        "A .json input must hold a JSON array of objects.")
    expect(page.locator("#batch-errors")).to_be_focused()


def test_the_batch_page_fits_a_phone(phone_page, site, tmp_path):
    page = phone_page
    page.goto(site + "/models/iris_model/batch")
    choose(page, tmp_path, "rows.csv", IRIS_CSV)
    page.get_by_role("button", name="Predict", exact=True).click()
    expect(page.locator(".batch-summary")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_the_catalog_and_the_form_lead_to_the_batch_page(page, site):
    page.goto(site + "/")
    page.get_by_role("link", name="Batch of rows for Iris Model").click()
    expect(page).to_have_url(site + "/models/iris_model/batch")
    page.goto(site + "/models/iris_model/predict")
    page.get_by_role("link", name="Many rows at once").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Iris Model: many rows at once")
