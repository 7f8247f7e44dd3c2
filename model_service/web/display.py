"""Values as the pages show them: rounded numbers, percentages, JSON text, a curl command.

Each rule here has a twin in ``static/js/display.js`` that the prediction page uses when it
shows a result without reloading; the two must give the same text for the same value (a browser
test runs both over the same numbers).

The rounding rule (``format_number``), for display only (the raw JSON keeps full precision):

- an integer, or a float with no fractional part, below 10^15 in size: all its digits (``2.0``
  is ``2``);
- any other number: rounded to ``SIGNIFICANT`` (4) significant digits, halves away from zero,
  on its exact binary value (``Decimal(x)`` here, ``toExponential``/``toFixed`` in JavaScript);
  written in fixed notation when the rounded exponent is from -4 to 14 (never rounding away
  digits left of the point: ``12345.678`` is ``12346``), else as ``6.072e-7``; trailing zeros
  after the point are dropped (``0.5000`` is ``0.5``).

A probability is a percentage with one decimal (``98.1%``), except exactly 0 and 1 (``0%``,
``100%``) and values that would round to either of them (``<0.1%``, ``>99.9%``).
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Mapping

SIGNIFICANT = 4
EXACT_INTEGER_LIMIT = 10 ** 15
FIXED_EXPONENTS = range(-4, 15)  # rounded exponents written without "e"
LONG_TEXT = 120  # characters: a longer string output is shown as paragraphs
PROBABILITY_SUM_TOLERANCE = 0.01  # an object of numbers in [0, 1] summing to 1 ± this


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _strip_zeros(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def _fixed(value: float, decimals: int) -> str:
    """``value`` with ``decimals`` digits after the point, halves away from zero (``toFixed``)."""
    quantum = Decimal(1).scaleb(-decimals)
    return format(Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP), "f")


def format_number(value: int | float) -> str:
    """Round a number for display by the rule of this module's docstring."""
    if isinstance(value, int) or float(value).is_integer():
        if abs(value) < EXACT_INTEGER_LIMIT:
            return str(int(value))
    exact = Decimal(value)
    if exact == 0:
        return "0"
    rounded = exact.quantize(Decimal(1).scaleb(exact.adjusted() - SIGNIFICANT + 1),
                             rounding=ROUND_HALF_UP)
    exponent = rounded.adjusted()  # after rounding: 9.99996 becomes 10.00, exponent 1
    if exponent in FIXED_EXPONENTS:
        return _strip_zeros(_fixed(value, max(0, SIGNIFICANT - 1 - exponent)))
    mantissa = _strip_zeros(format(rounded.scaleb(-exponent), "f"))
    return f"{mantissa}e{exponent}"


def format_percent(probability: float) -> str:
    """Show a probability as a percentage with one decimal (see the module's docstring)."""
    if probability == 0 or probability == 1:
        return f"{int(probability) * 100}%"
    text = _fixed(probability * 100, 1)
    if text == "0.0" and probability > 0:
        return "<0.1%"
    if text == "100.0" and probability < 1:
        return ">99.9%"
    return text + "%"


# --- JSON text as a browser writes it ------------------------------------------------------

def js_number(value: int | float) -> str:
    """Write a number as JavaScript's ``String(x)`` does: shortest digits, ``1e-7``, ``2``.

    Python's ``repr`` finds the same shortest digits but places the point differently
    (``9.427e-05``, ``2.0``); this places them by ECMAScript's Number::toString rule, so that
    JSON written here and by the page's script is the same text.
    """
    if isinstance(value, int):
        if abs(value) < 2 ** 53:
            return str(value)
        value = float(value)  # JavaScript holds every number as a double
    if value == 0:
        return "0"
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    k = len(text)
    n = exponent + len(digits)  # the point sits after n digits
    if k <= n <= 21:
        body = text + "0" * (n - k)
    elif 0 < n <= 21:
        body = text[:n] + "." + text[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * -n + text
    else:
        power = n - 1
        body = (text[0] + ("." + text[1:] if k > 1 else "")
                + "e" + ("+" if power >= 0 else "-") + str(abs(power)))
    return ("-" if sign else "") + body


_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
                 "\t": "\\t"}
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]')


def _json_string(text: str) -> str:
    return '"' + _NEEDS_ESCAPE.sub(
        lambda m: _JSON_ESCAPES.get(m.group(), f"\\u{ord(m.group()):04x}"), text) + '"'


def js_json(value: Any, indent: int | None = None, _level: int = 0) -> str:
    """Write JSON as ``JSON.stringify(value, null, indent)`` does, byte for byte."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if _is_number(value):
        return js_number(value)
    if isinstance(value, str):
        return _json_string(value)
    if isinstance(value, Mapping):
        items = [(_json_string(str(key)) + (": " if indent else ":"), item)
                 for key, item in value.items()]
        opening, closing = "{", "}"
    elif isinstance(value, (list, tuple)):
        items = [("", item) for item in value]
        opening, closing = "[", "]"
    else:
        raise TypeError(f"{type(value).__name__} is not JSON")
    if not items:
        return opening + closing
    parts = [head + js_json(item, indent, _level + 1) for head, item in items]
    if not indent:
        return opening + ",".join(parts) + closing
    inner = "\n" + " " * (indent * (_level + 1))
    return opening + inner + ("," + inner).join(parts) + "\n" + " " * (indent * _level) + closing


def curl_command(url: str, body: Any) -> str:
    """A ``curl`` command that POSTs ``body`` as JSON to ``url``, quoted for a POSIX shell."""
    return (f"curl -X POST {shlex.quote(url)} \\\n"
            f"  -H 'Content-Type: application/json' \\\n"
            f"  -d {shlex.quote(js_json(body))}")


# --- A prediction as rows ------------------------------------------------------------------

@dataclass
class Bar:
    """One class of a probability chart."""

    label: str
    percent: str
    width: str  # of 100, for the bar's SVG rectangle
    winner: bool


@dataclass
class ResultRow:
    """One shown field of a prediction: a value, paragraphs of text, or a probability chart."""

    path: str
    kind: str  # "value", "text", "probabilities" or "media"
    text: str = ""
    src: str = ""  # media: the value as a data: URI
    image: bool = False  # media: a picture, shown as such
    paragraphs: list[str] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)


def output_hints(tree) -> dict[str, dict]:
    """``{path: {"unit", "multiline", "probabilities"}}`` from an output schema tree.

    Paths are the result's (``probabilities.setosa``). The page's script receives this same
    mapping, so both read the schema's marks from one place.
    """
    hints: dict[str, dict] = {}

    def visit(node, path: str) -> None:
        found = {name: node.schema[f"x-{name}"]
                 for name in ("unit", "multiline", "probabilities") if f"x-{name}" in node.schema}
        if node.kind == "media":  # base64 on the wire: shown as a picture or a download
            found["media"] = node.schema.get("contentMediaType", "application/octet-stream")
            found["image"] = "x-formats" in node.schema
        if found and path:
            hints[path] = found
        for child in node.children:
            visit(child, f"{path}.{child.key}" if path else child.key)

    visit(tree, "")
    return hints


def is_probabilities(value: Any, hint: Mapping) -> bool:
    """Tell whether an object is class probabilities: marked so, or numbers in [0, 1] summing to 1."""
    if not isinstance(value, Mapping) or not value:
        return False
    marked = hint.get("probabilities")
    numbers = all(_is_number(item) and 0 <= item <= 1 for item in value.values())
    if marked is True or marked is False:
        return marked and numbers
    if not numbers or len(value) < 2:
        return False
    total = 0.0
    for item in value.values():  # left to right, as the script adds (sum() may compensate)
        total += item
    return abs(total - 1) <= PROBABILITY_SUM_TOLERANCE


def probability_bars(value: Mapping) -> list[Bar]:
    """The classes sorted by probability, highest first; every class at the top is a winner."""
    ordered = sorted(value.items(), key=lambda item: -item[1])
    top = ordered[0][1]
    return [Bar(label=str(label), percent=format_percent(probability),
                width=_fixed(min(max(probability, 0), 1) * 100, 1), winner=probability == top)
            for label, probability in ordered]


_VISIBLE = re.compile(r"[^ \t\r\n]")


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs are separated by blank lines; the line breaks inside one are kept."""
    text = text.replace("\r\n", "\n")
    return [part for part in re.split(r"\n[ \t]*\n", text) if _VISIBLE.search(part)] or [text]


def result_rows(value: Any, hints: Mapping[str, Mapping] | None = None,
                path: str = "") -> list[ResultRow]:
    """Flatten a prediction into rows to show, by the rules ``display.js`` mirrors.

    Objects open into their fields (``address.city``) unless they are class probabilities,
    shown as one chart. Numbers are rounded (``format_number``) and followed by their unit;
    strings with a line break, longer than ``LONG_TEXT`` or marked multiline are paragraphs;
    anything else is JSON text.
    """
    hints = hints or {}
    hint = hints.get(path, {})
    if isinstance(value, Mapping) and value:
        if is_probabilities(value, hint):
            return [ResultRow(path or "result", "probabilities", bars=probability_bars(value))]
        rows = []
        for key, item in value.items():
            rows += result_rows(item, hints, f"{path}.{key}" if path else str(key))
        return rows
    path = path or "result"
    if isinstance(value, str) and hint.get("media"):
        src = value if value[:5].lower() == "data:" else f"data:{hint['media']};base64,{value}"
        return [ResultRow(path, "media", src=src, image=bool(hint.get("image")))]
    if isinstance(value, str):
        if hint.get("multiline") is True or "\n" in value or len(value) > LONG_TEXT:
            return [ResultRow(path, "text", paragraphs=split_paragraphs(value))]
        return [ResultRow(path, "value", text=value)]
    if _is_number(value):
        unit = hint.get("unit")
        text = format_number(value) + (f" {unit}" if isinstance(unit, str) and unit else "")
        return [ResultRow(path, "value", text=text)]
    return [ResultRow(path, "value", text=js_json(value))]
