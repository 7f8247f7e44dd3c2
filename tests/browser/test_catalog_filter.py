"""The catalog: name order, the count, a filter with and without JavaScript, cards at a glance."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def shown_names(page):
    return page.locator("#catalog-models > li:visible article").evaluate_all(
        "cards => cards.map(card => card.dataset.model)")


def test_models_are_listed_by_display_name_with_their_count(page, site):
    page.goto(site + "/")
    titles = page.locator("article.model-card h2").all_text_contents()
    assert titles == sorted(titles, key=str.casefold)
    expect(page.locator("#catalog-count")).to_have_text("6 models")


def test_each_card_shows_what_the_model_takes_and_gives(page, site):
    page.goto(site + "/")
    glance = lambda name: page.locator(f"article[data-model='{name}'] .model-glance")  # noqa: E731
    expect(glance("iris_model")).to_have_text("Takes and gives: 4 numbers → species and probabilities")
    expect(glance("rich_model")).to_contain_text(
        "2 numbers, a choice, a yes/no, a list and a group of fields → summary and tag count")
    expect(glance("review_model")).to_contain_text(
        "a text, 2 long texts and a number → sentiment, topics and 3 more")


def test_the_filter_narrows_the_cards_as_one_types(page, site):
    page.goto(site + "/")
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("Filter models").fill("IRIS")
    expect(page.locator("#catalog-count")).to_have_text("1 of 6 models")
    assert shown_names(page) == ["iris_model"]
    expect(page.get_by_role("button", name="Filter")).to_be_hidden()
    expect(page).to_have_url(site + "/?q=IRIS")
    page.get_by_label("Filter models").fill("long text")  # the glance is searched too
    assert shown_names(page) == ["review_model"]
    page.get_by_label("Filter models").fill("nothing like this")
    expect(page.locator("#catalog-empty")).to_be_visible()
    expect(page.locator("#catalog-count")).to_have_text("0 of 6 models")
    page.get_by_label("Filter models").fill("")
    expect(page.locator("#catalog-count")).to_have_text("6 models")
    assert page.evaluate("window.__sameDocument === true")


def test_the_filter_works_without_javascript(static_page, site):
    page = static_page
    page.goto(site + "/")
    page.get_by_label("Filter models").fill("model customer")
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(site + "/?q=model+customer")
    expect(page.locator("#catalog-count")).to_have_text("2 of 6 models")
    assert shown_names(page) == ["review_model", "rich_model"]
    page.get_by_role("link", name="Show all").click()
    expect(page.locator("#catalog-count")).to_have_text("6 models")


def test_a_link_with_a_filter_opens_filtered_with_javascript_too(page, site):
    page.goto(site + "/?q=review")
    expect(page.get_by_label("Filter models")).to_have_value("review")
    assert shown_names(page) == ["review_model"]
