"""Run validated predictions: the one path shared by every protocol, the pages and the CLI.

Input is checked against the model's input schema (422 with field errors), the model is called,
and its output is checked against its output schema (500 naming the model when it breaks its own
contract). A model that raises fails only the request that called it.

Single predictions go through the model's micro-batcher when it has one (``batching.py``):
concurrent requests then share one ``predict_batch`` call, and every request still gets its own
result or its own error.
"""
from __future__ import annotations

import logging
import time
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

from blinker import Namespace

from .batching import MicroBatcher
from .errors import BatchTooLarge, InputRefused, InvalidInput, ModelFailure, ValidationFailed

if TYPE_CHECKING:
    from .registry import HostedModel

log = logging.getLogger(__name__)

#: Sent (sender: the ``HostedModel``) once per validation failure or model call, with
#: ``outcome`` ("ok", "invalid" or "error"), ``count`` (items) and ``seconds`` (model calls only).
#: The metrics extension listens; callers outside a request (the CLI) cost nothing.
prediction_done = Namespace().signal("prediction-done")
#: Sent (sender: the ``HostedModel``) once per micro-batched model call, with ``count`` (items
#: gathered from concurrent requests) and ``seconds``; those requests then report their own
#: outcomes through ``prediction_done`` without a time.
micro_batch_done = Namespace().signal("micro-batch-done")


def _report(hosted: HostedModel, outcome: str, count: int, started: float | None = None) -> None:
    if prediction_done.receivers:
        seconds = time.perf_counter() - started if started is not None else None
        prediction_done.send(hosted, outcome=outcome, count=count, seconds=seconds)


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
        raise InvalidInput(hosted.name, errors)
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
        raise BatchTooLarge(max_items, len(raw))
    if raw and hosted.input_validator.load_many_unchanged(raw):
        return raw
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


def _model_failure(hosted: HostedModel) -> ModelFailure:
    return ModelFailure(f"Model '{hosted.name}' failed to make a prediction; "
                        "the error has been logged.")


def _predict_one(hosted: HostedModel, data: dict) -> Any:
    """Return the model's raw answer for one item, or the error it ends with (422 or 500)."""
    try:
        return hosted.model.predict(data)
    except InputRefused as refused:  # the model's own verdict on valid-looking input: a 422
        return InvalidInput(hosted.name, refused.errors)
    except Exception:
        log.exception("Model %s raised in predict", hosted.name)
        return _model_failure(hosted)


def _checked_outcome(hosted: HostedModel, result: Any) -> Any:
    if isinstance(result, (ModelFailure, InvalidInput)):  # the error this item ends with
        return result
    try:
        return _check_output(hosted, result)
    except ModelFailure as failure:
        return failure


def predict_each(hosted: HostedModel, items: list[dict]) -> list[Any]:
    """Predict validated items; return one checked result or ``ModelFailure`` per item, in order.

    One item calls ``predict``, exactly as without batching. Several call ``predict_batch`` once;
    when it raises or breaks its contract, each item is retried alone with ``predict``, so only
    the items that fail on their own get an error.
    """
    if len(items) == 1:
        results = [_predict_one(hosted, items[0])]
    else:
        try:
            results = hosted.model.predict_batch(items)
            if not isinstance(results, list) or len(results) != len(items):
                raise TypeError(f"predict_batch returned {type(results).__name__} "
                                f"of length {len(results) if isinstance(results, list) else '?'} "
                                f"for {len(items)} items")
        except InputRefused:  # some items refused: each one alone says which
            results = [_predict_one(hosted, item) for item in items]
        except Exception:
            log.warning("Model %s failed a micro-batch of %d items; predicting them one by one",
                        hosted.name, len(items), exc_info=True)
            results = [_predict_one(hosted, item) for item in items]
    return [_checked_outcome(hosted, result) for result in results]


def run_micro_batch(hosted: HostedModel, items: list[dict]) -> list[Any]:
    """The batcher's call: ``predict_each`` on what concurrent requests gathered, timed."""
    started = time.perf_counter()
    outcomes = predict_each(hosted, items)
    if micro_batch_done.receivers:
        micro_batch_done.send(hosted, count=len(items), seconds=time.perf_counter() - started)
    return outcomes


def attach_batcher(hosted: HostedModel) -> None:
    """Give a ready model that is set to micro-batch its batcher (a registry on-load hook)."""
    settings = hosted.batch_settings
    if hosted.ready and settings is not None and settings.enabled:
        hosted.batcher = MicroBatcher(
            lambda items: run_micro_batch(hosted, items),
            max_batch_size=settings.max_batch_size, max_wait_ms=settings.max_wait_ms)


def incoming(hosted: HostedModel) -> AbstractContextManager:
    """Announce a single prediction on its way, so that its model's batcher waits for it."""
    batcher = hosted.batcher
    return nullcontext() if batcher is None else batcher.incoming()


def run_predict(hosted: HostedModel, data: dict) -> dict:
    """Call the model on one validated input and return its checked output.

    With a micro-batcher, the call may be shared with concurrent requests for the same model
    (timed once per call by ``run_micro_batch``).
    """
    batcher = hosted.batcher
    started = time.perf_counter() if batcher is None else None
    outcome = predict_each(hosted, [data])[0] if batcher is None else batcher.submit(data)
    if isinstance(outcome, BaseException):
        _report(hosted, "invalid" if isinstance(outcome, ValidationFailed) else "error", 1, started)
        raise outcome
    _report(hosted, "ok", 1, started)
    return outcome


def run_predict_batch(hosted: HostedModel, items: list[dict]) -> list[dict]:
    """Call the model on validated inputs and return checked outputs in the same order."""
    if not items:
        return []
    started = time.perf_counter()
    try:
        results = hosted.model.predict_batch(items)
    except InputRefused as refused:
        _report(hosted, "invalid", len(items), started)
        raise InvalidInput(hosted.name, refused.errors) from None
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
        if hosted.output_validator.dump_many_unchanged(results):
            checked = results
        else:
            checked = [_check_output(hosted, result) for result in results]
    except ModelFailure:
        _report(hosted, "error", len(items), started)
        raise
    _report(hosted, "ok", len(items), started)
    return checked
