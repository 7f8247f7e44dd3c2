"""How a prediction is shown: rounded numbers, probability charts, units, text, copy buttons.

The page shows a result two ways, written by the server (no JavaScript) or by the page's script
after calling the API; these tests hold that both read exactly alike.
"""
import json
import random
import shutil
import subprocess

import pytest
from playwright.sync_api import expect

from model_service.web.display import curl_command, format_number, format_percent, js_json
from helpers import DISPLAY_NUMBERS

pytestmark = pytest.mark.browser

IRIS_VIRGINICA = {"sepal_length": "6.7", "sepal_width": "3.0", "petal_length": "5.2",
                  "petal_width": "2.3"}

# The result region without its layout whitespace: what either way of showing it built.
SHOWN = """() => {
  const copy = document.getElementById("result-rows").cloneNode(true);
  const walker = document.createTreeWalker(copy, NodeFilter.SHOW_TEXT);
  const blank = [];
  while (walker.nextNode()) if (!walker.currentNode.textContent.trim()) blank.push(walker.currentNode);
  blank.forEach((node) => node.remove());
  return copy.innerHTML;
}"""


def predict(page, path, values, javascript):
    page.goto(path)
    for name, value in values.items():
        page.locator(f"[name='{name}']").fill(value)
    if javascript:
        page.get_by_role("button", name="Predict").click()
        expect(page.locator("#result")).to_be_visible()
    else:
        with page.expect_navigation():
            page.get_by_role("button", name="Predict").click()


def shown(page):
    return {"rows": page.evaluate(SHOWN),
            "json": page.locator("#result-json").text_content(),
            "sent": page.locator("#request-json").text_content(),
            "curl": page.locator("#curl-command").text_content()}


def test_the_script_rounds_and_writes_values_exactly_as_the_server_does(page, site):
    page.goto(site + "/models/iris_model/predict")
    generator = random.Random(13)
    numbers = [value for value, _ in DISPLAY_NUMBERS] + [
        generator.uniform(-1, 1) * 10 ** generator.randint(-12, 22) for _ in range(400)]
    numbers += [round(generator.random(), generator.randint(1, 6)) for _ in range(200)]
    script = page.evaluate("""(numbers) => numbers.map((x) => [
        ModelServiceDisplay.number(x), ModelServiceDisplay.percent(Math.abs(x) % 1)])""",
                           numbers)
    assert script == [[format_number(x), format_percent(abs(x) % 1)] for x in numbers]
    value = {"text": "it's\n\"quoted\" é \u2028", "numbers": numbers[:50], "nested": {"n": None}}
    url = site + "/api/models/iris_model/predict"
    written = page.evaluate("""([value, url]) => [JSON.stringify(value, null, 2),
                                                  ModelServiceDisplay.curl(url, value)]""",
                            [value, url])
    assert written == [js_json(value, indent=2), curl_command(url, value)]


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_class_probabilities_are_a_sorted_chart_with_the_winner_highlighted(
        request, site, javascript):
    page = request.getfixturevalue("page" if javascript else "static_page")
    predict(page, site + "/models/iris_model/predict", IRIS_VIRGINICA, javascript)
    chart = page.locator("tr[data-path='probabilities'] .prob")
    expect(chart.locator(".prob-label")).to_have_text(["virginica", "versicolor", "setosa"])
    expect(chart.first).to_have_class("prob prob-winner")
    expect(page.locator(".prob-winner")).to_have_count(1)
    raw = json.loads(page.locator("#result-json").text_content())["probabilities"]
    expect(chart.locator(".prob-percent")).to_have_text(
        [format_percent(raw[name]) for name in ("virginica", "versicolor", "setosa")])
    widths = chart.locator("rect").evaluate_all("rects => rects.map(r => r.getBBox().width)")
    assert widths == sorted(widths, reverse=True) and 90 < widths[0] <= 100
    # The raw JSON keeps every digit.
    assert any(len(repr(value)) > 10 for value in raw.values())


@pytest.mark.parametrize("model, values", [
    ("iris_model", IRIS_VIRGINICA),
    ("rich_model", {"age": "42", "address.city": "Lyon", "tags.0": "a", "score": "0.123456"}),
    ("review_model", {"title": "Long", "review": "Good service. " * 20}),
])
def test_a_result_reads_the_same_with_and_without_javascript(page, static_page, site, model,
                                                              values):
    with_script, without = [], []
    for target, javascript, into in ((page, True, with_script), (static_page, False, without)):
        target.goto(site + f"/models/{model}/predict")
        if model == "rich_model":
            target.get_by_label("Plan").select_option("plus")
        predict_filled(target, values, javascript)
        into.append(shown(target))
    assert with_script == without


def predict_filled(page, values, javascript):
    for name, value in values.items():
        page.locator(f"[name='{name}']").fill(value)
    if javascript:
        page.get_by_role("button", name="Predict").click()
        expect(page.locator("#result")).to_be_visible()
    else:
        with page.expect_navigation():
            page.get_by_role("button", name="Predict").click()


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_numbers_show_their_unit_and_marked_scores_are_a_chart(request, site, javascript):
    page = request.getfixturevalue("page" if javascript else "static_page")
    predict(page, site + "/models/review_model/predict",
            {"title": "Fine", "review": "Good price, good quality."}, javascript)
    expect(page.locator("tr[data-path='reading_time'] td")).to_have_text("1.081 s")
    expect(page.locator("tr[data-path='words'] td")).to_have_text("4")
    topics = page.locator("tr[data-path='topics'] .prob")
    expect(topics.locator(".prob-label")).to_have_text(["price", "quality", "service"])
    expect(topics.locator(".prob-percent")).to_have_text(["90.0%", "90.0%", "5.0%"])


def test_copy_buttons_copy_the_result_json_and_the_request_as_curl(page, site):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    predict(page, site + "/models/iris_model/predict", IRIS_VIRGINICA, True)
    page.locator("#result summary", has_text="Raw JSON").click()
    page.get_by_role("button", name="Copy JSON").click()
    copied = json.loads(page.evaluate("navigator.clipboard.readText()"))
    assert copied["species"] == "virginica"
    page.locator("#request-curl summary").click()
    page.get_by_role("button", name="Copy curl command").click()
    command = page.evaluate("navigator.clipboard.readText()")
    assert command.startswith(f"curl -X POST {site}/api/models/iris_model/predict")
    if shutil.which("curl"):
        answer = subprocess.run(["bash", "-c", command], capture_output=True, text=True,
                                timeout=30, check=True)
        assert json.loads(answer.stdout) == copied


def test_without_javascript_the_curl_command_is_shown_to_select(static_page, site):
    page = static_page
    predict(page, site + "/models/iris_model/predict", IRIS_VIRGINICA, False)
    expect(page.get_by_role("button", name="Copy curl command")).to_be_hidden()
    page.locator("#request-curl summary").click()
    expect(page.locator("#curl-command")).to_contain_text('"petal_length":5.2')
