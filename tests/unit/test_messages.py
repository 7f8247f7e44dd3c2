"""Field messages in people's words on the pages, made from the validator's own formats."""
import re

import pytest

from model_service.core.validation import _KEYWORD_MESSAGES
from model_service.web.messages import MESSAGE_RULES, errors_in_words, in_words


@pytest.mark.parametrize("api, page", [
    ("Missing data for required field.", "Required."),
    ("Unknown field.", "Not a field this model takes."),
    ("Must be less than or equal to 20.0.", "Must be at most 20."),
    ("Must be greater than or equal to 0.", "Must be at least 0."),
    ("Must be greater than 1e-05.", "Must be more than 0.00001."),
    ("Must be less than 5.", "Must be less than 5."),
    ("Longer than maximum length 200.", "At most 200 characters."),
    ("Longer than maximum length 1.", "At most 1 character."),
    ("Shorter than minimum length 3.", "At least 3 characters."),
    ("Must contain at least 1 item(s).", "At least 1 item."),
    ("Must contain at most 4 item(s).", "At most 4 items."),
    ("Does not match the pattern ^[0-9]{5}$.", "Must match the pattern ^[0-9]{5}$."),
    ("Not a valid value: expected an integer, got a string.", "Must be a whole number."),
    ("Not a valid value: expected an integer, got a number.", "Must be a whole number."),
    ("Not a valid value: expected a number, got a string.", "Not a number."),
    ("Not a valid value: expected a number or null, got a string.", "Not a number."),
    ("Not a valid value: expected a boolean (true or false), got a string.",
     "Must be true or false."),
    ("Not a valid value: expected a string, got an integer.", "Must be text."),
    ("Something a custom validator says.", "Something a custom validator says."),
])
def test_api_messages_read_in_peoples_words_on_the_pages(api, page):
    assert in_words(api) == page


def test_every_limit_message_of_the_validator_has_words():
    for keyword, message_format in _KEYWORD_MESSAGES.items():
        message = message_format.format(7)
        assert any(re.match(pattern, message) for pattern, _ in MESSAGE_RULES), keyword


def test_rules_use_only_syntax_that_means_the_same_in_javascript():
    # No lookbehind, named groups, flags or Python-only escapes: the page's script runs them.
    for pattern, _ in MESSAGE_RULES:
        assert not re.search(r"\(\?[<P=!]|\\[AZz]|\(\?[a-z]", pattern), pattern
        re.compile(pattern)


def test_nested_errors_keep_their_shape():
    errors = {"a": ["Missing data for required field."], "b": {"0": ["Unknown field."]}}
    assert errors_in_words(errors) == {"a": ["Required."], "b": {"0": ["Not a field this model takes."]}}
