"""Run validated predictions: the one code path shared by the API and the HTML form.

Input is checked against the model's input schema (422 with field errors), the model is called,
and its output is checked against its output schema (500 naming the model when it breaks its own
contract). A model that raises fails only the request that called it.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from blinker import Namespace

from .errors import ModelFailure, PayloadTooLarge, ValidationFailed
from .manager import HostedModel

log = logging.getLogger(__name__)

#: Sent (sender: the ``HostedModel``) once per validation failure or model call, with
#: ``outcome`` ("ok", "invalid" or "error"), ``count`` (items) and ``seconds`` (model calls only).
#: The metrics extension listens; callers outside a request (the CLI) cost nothing.
prediction_done = Namespace().signal("prediction-done")


def _report(hosted: HostedModel, outcome: str, count: int, started: float | None = None) -> None:
    if prediction_done.receivers:
        seconds = time.perf_counter() - started if started is not None else None
        prediction_done.send(hosted, outcome=outcome, count=count, seconds=seconds)


def _invalid_input(hosted: HostedModel, errors: dict) -> ValidationFailed:
    return ValidationFailed(
        f"Input does not match the input schema of model '{hosted.name}'.", errors
    )


def validate_one(hosted: HostedModel, raw: Any) -> dict:
    """Return the deserialized input, or raise a 422 naming every bad field."""
    if not isinstance(raw, dict):
        _report(hosted, "invalid", 1)
        raise ValidationFailed(
            f"Input of model '{hosted.name}' must be a JSON object.",
            {"_schema": ["Expected a JSON object."]},
        )
    data, errors = hosted.input_validator.load(raw)
    if errors:
        _report(hosted, "invalid", 1)
        raise _invalid_input(hosted, errors)
    return data


def validate_batch(hosted: HostedModel, raw: Any, max_items: int) -> list[dict]:
    """Validate every item of a batch; errors are keyed by item index."""
    if not isinstance(raw, list):
        _report(hosted, "invalid", 1)
        raise ValidationFailed(
            f"A batch for model '{hosted.name}' must be a JSON array of objects.",
            {"_schema": ["Expected a JSON array."]},
        )
    if len(raw) > max_items:
        _report(hosted, "invalid", len(raw))
        raise PayloadTooLarge(
            f"A batch holds at most {max_items} items; this one has {len(raw)}."
        )
    items, errors = [], {}
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            errors[str(index)] = {"_schema": ["Expected a JSON object."]}
            continue
        data, item_errors = hosted.input_validator.load(item)
        if item_errors:
            errors[str(index)] = item_errors
        else:
            items.append(data)
    if errors:
        _report(hosted, "invalid", len(raw))  # the whole batch is refused
        raise ValidationFailed(
            f"{len(errors)} of {len(raw)} batch items do not match the input schema "
            f"of model '{hosted.name}'.",
            errors,
        )
    return items


def _check_output(hosted: HostedModel, result: Any) -> dict:
    dumped, errors = hosted.output_validator.dump_checked(result)
    if errors:
        log.error("Model %s broke its output contract: %s", hosted.name, errors)
        raise ModelFailure(f"Model '{hosted.name}' returned output that does not match its "
                           "output schema; the details have been logged.")
    return dumped


def run_predict(hosted: HostedModel, data: dict) -> dict:
    """Call the model on one validated input and return its checked output."""
    started = time.perf_counter()
    try:
        result = hosted.model.predict(data)
    except Exception:
        _report(hosted, "error", 1, started)
        log.exception("Model %s raised in predict", hosted.name)
        raise ModelFailure(f"Model '{hosted.name}' failed to make a prediction; "
                           "the error has been logged.") from None
    try:
        checked = _check_output(hosted, result)
    except ModelFailure:
        _report(hosted, "error", 1, started)
        raise
    _report(hosted, "ok", 1, started)
    return checked


def run_predict_batch(hosted: HostedModel, items: list[dict]) -> list[dict]:
    """Call the model on validated inputs and return checked outputs in the same order."""
    if not items:
        return []
    started = time.perf_counter()
    try:
        results = hosted.model.predict_batch(items)
    except Exception:
        _report(hosted, "error", len(items), started)
        log.exception("Model %s raised in predict_batch", hosted.name)
        raise ModelFailure(f"Model '{hosted.name}' failed to make a batch prediction; "
                           "the error has been logged.") from None
    if not isinstance(results, list) or len(results) != len(items):
        log.error("Model %s returned %r results for %d items", hosted.name,
                  len(results) if isinstance(results, list) else type(results), len(items))
        _report(hosted, "error", len(items), started)
        raise ModelFailure(f"Model '{hosted.name}' returned a batch result of the wrong length.")
    try:
        checked = [_check_output(hosted, result) for result in results]
    except ModelFailure:
        _report(hosted, "error", len(items), started)
        raise
    _report(hosted, "ok", len(items), started)
    return checked

