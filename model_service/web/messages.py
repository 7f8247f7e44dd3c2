"""Field messages in people's words, for the pages only; the API keeps its exact messages.

The validator writes messages for API clients ("Must be less than or equal to 20.0.",
"Not a valid value: expected an integer, got a string."). Under a form field they read better
as "Must be at most 20." and "Must be a whole number.". ``MESSAGE_RULES`` rewrites one into the
other: each rule is a regular expression (written in the syntax Python and JavaScript share)
and a template whose ``{1}``, ``{2}``... are its groups, numbers among them written as the
pages write numbers. The rules for limits are made from the validator's own message formats
(``core.validation._KEYWORD_MESSAGES``), so they follow any change there. The page's script
receives the same list (``data-messages``), so a message reads the same with and without it. A
message no rule matches is shown as the API wrote it.
"""
from __future__ import annotations

import math
import re
from typing import Any

from ..core.validation import _KEYWORD_MESSAGES
from ..core.values import NUMBER_TEXT
from .display import js_number

#: The summary above a form whose fields were refused (the API's detail names the schema).
FIELDS_NEED_ATTENTION = "Some fields need attention."

# The validator's limit messages, by JSON Schema keyword, in people's words; {0} is the limit.
# A tuple gives the singular (a limit of 1) and the plural.
_LIMITS = {
    "minimum": "Must be at least {0}.",
    "maximum": "Must be at most {0}.",
    "exclusiveMinimum": "Must be more than {0}.",
    "exclusiveMaximum": "Must be less than {0}.",
    "minLength": ("At least {0} character.", "At least {0} characters."),
    "maxLength": ("At most {0} character.", "At most {0} characters."),
    "minItems": ("At least {0} item.", "At least {0} items."),
    "maxItems": ("At most {0} item.", "At most {0} items."),
    "pattern": "Must match the pattern {0}.",
}

# "Not a valid value: expected <types>, got <type>.": what to say for each expected type.
_EXPECTED = {
    "an integer": "Must be a whole number.",
    "a number": "Not a number.",
    "a boolean (true or false)": "Must be true or false.",
    "a string": "Must be text.",
    "an object": 'Must be a JSON object, such as {"key": 1}.',
    "an array": "Must be a list, such as [1, 2].",
}


def _escape(text: str) -> str:
    """Escape ``text`` for a regular expression, the same way in Python and JavaScript."""
    return re.sub(r"([\\^$.|?*+()\[\]{}])", r"\\\1", text)


def _from_format(message_format: str, limit: str) -> str:
    """``Longer than maximum length {0}.`` -> a pattern capturing ``limit`` as group 1."""
    before, _, after = message_format.partition("{0}")
    return "^" + _escape(before) + limit + _escape(after) + "$"


def _rules() -> list[tuple[str, str]]:
    rules = [(r"^Missing data for required field\.$", "Required."),
             (r"^Unknown field\.$", "Not a field this model takes.")]
    for expected, words in _EXPECTED.items():
        rules.append((r"^Not a valid value: expected " + _escape(expected)
                      + r"(?: or null)?, got [a-z ]+\.$", words))
    for keyword, words in _LIMITS.items():
        message_format = _KEYWORD_MESSAGES[keyword]
        if isinstance(words, tuple):
            rules.append((_from_format(message_format, "(1)"), words[0].replace("{0}", "{1}")))
            words = words[1]
        rules.append((_from_format(message_format, "(.+)"), words.replace("{0}", "{1}")))
    return rules


MESSAGE_RULES: list[tuple[str, str]] = _rules()
_COMPILED = [(re.compile(pattern), template) for pattern, template in MESSAGE_RULES]


def _tidy(text: str) -> str:
    """Write a captured number as the pages write numbers (``20.0`` -> ``20``)."""
    if NUMBER_TEXT.match(text) and math.isfinite(float(text)):
        return js_number(float(text))
    return text


def in_words(message: str) -> str:
    """Say a validation message in people's words (the first matching rule), else as it is."""
    for pattern, template in _COMPILED:
        match = pattern.match(message)
        if match:
            return re.sub(r"\{(\d)\}", lambda m: _tidy(match.group(int(m.group(1)))), template)
    return message


def errors_in_words(errors: Any) -> Any:
    """The same nested errors (marshmallow's shape) with every message in people's words."""
    if isinstance(errors, dict):
        return {key: errors_in_words(value) for key, value in errors.items()}
    if isinstance(errors, list):
        return [errors_in_words(item) for item in errors]
    return in_words(errors) if isinstance(errors, str) else errors
