"""Run validated predictions: the one path shared by every protocol, the pages and the CLI.

Input is checked against the model's input schema (422 with field errors), the model is called,
and its output is checked against its output schema (500 naming the model when it breaks its own
contract). A model that raises fails only the request that called it.

Every model call goes through the model's runner (``limits.py``): on the runner's threads, within
the model's limits, so a caller gets a 504 after ``timeout_s`` and a 503 when the queue is full.
Single predictions of a micro-batching model (``batching.py``) share one ``predict_batch`` call
with concurrent requests, and every request still gets its own result or its own error. When a
batch call fails, its items are retried one by one, so the answer names the items that fail.
"""
from __future__ import annotations

import logging
import time
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any, Callable

from blinker import Namespace

from .errors import (BatchItemsFailed, BatchTooLarge, InputRefused, InvalidInput, ModelBusy,
                     ModelFailure, ModelTimeout, ValidationFailed)
from .limits import ModelRunner

if TYPE_CHECKING:
    from .registry import HostedModel

log = logging.getLogger(__name__)

Gone = Callable[[], bool] | None  # asked while a request waits: has its client left?
LOGGED_ITEM_FAILURES = 10  # a batch failing on every item logs this many tracebacks, then a count

#: Sent (sender: the ``HostedModel``) once per validation failure, refusal or model call, with
#: ``outcome`` ("ok", "invalid", "error", "busy" or "timeout"), ``count`` (items) and
#: ``seconds`` (batch requests' model calls only).
#: The metrics extension listens; callers outside a request (the CLI) cost nothing.
prediction_done = Namespace().signal("prediction-done")
#: Sent (sender: the ``HostedModel``) once per model call of single predictions (by one of the
#: requests it served, in its thread), with ``count`` (items gathered from concurrent requests)
#: and ``seconds``; those requests report their own outcomes through ``prediction_done``.
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
        failure = ModelFailure(f"Model '{hosted.name}' returned output that does not match its "
                               "output schema; the details have been logged.")
        failure.log_record = ("Model %s broke its output contract: %s", (hosted.name, errors),
                              None)
        raise failure
    return dumped


def _log_failure(failure: BaseException, index: int | None = None) -> None:
    """Log why a model failed, in the thread of the request it failed (so with its request id).

    Failures are made on the runner's threads and carry what to log (``log_record``).
    """
    message, args, exc_info = getattr(failure, "log_record", None) or (
        "%s", (failure,), None)
    if index is not None:
        message, args = message + " (batch item %d)", (*args, index)
    log.error(message, *args, exc_info=exc_info)


def _model_failure(hosted: HostedModel) -> ModelFailure:
    return ModelFailure(f"Model '{hosted.name}' failed to make a prediction; "
                        "the error has been logged.")


def _predict_one(hosted: HostedModel, data: dict) -> Any:
    """Return the model's raw answer for one item, or a ``ModelFailure`` when it raises."""
    try:
        return hosted.model.predict(data)
    except InputRefused as refused:  # the model's own verdict on valid-looking input: a 422
        return InvalidInput(hosted.name, refused.errors)
    except Exception as error:
        failure = _model_failure(hosted)
        failure.log_record = ("Model %s raised in predict", (hosted.name,),
                              (type(error), error, error.__traceback__))
        return failure


def _checked_outcome(hosted: HostedModel, result: Any) -> Any:
    if isinstance(result, (ModelFailure, InvalidInput)):
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
        results, _ = _predict_batch_or_each(hosted, items, "micro-batch")
    return [_checked_outcome(hosted, result) for result in results]


def _predict_batch_or_each(hosted: HostedModel, items: list[dict],
                           what: str) -> tuple[list[Any], bool]:
    """Call ``predict_batch`` once; when it raises or answers the wrong length, each item alone.

    Returns the raw results (or ``ModelFailure``/``InvalidInput`` per item) and whether the one
    call answered them all.
    """
    try:
        results = hosted.model.predict_batch(items)
        if not isinstance(results, list) or len(results) != len(items):
            raise TypeError(f"predict_batch returned {type(results).__name__} "
                            f"of length {len(results) if isinstance(results, list) else '?'} "
                            f"for {len(items)} items")
        return results, True
    except InputRefused:  # the model refused some items: find which, one by one
        pass
    except Exception:
        log.warning("Model %s failed a %s of %d items; predicting them one by one",
                    hosted.name, what, len(items), exc_info=True)
    return [_predict_one(hosted, item) for item in items], False


def run_micro_batch(hosted: HostedModel, items: list[dict]) -> list[Any]:
    """One call of the model's runner on items gathered from concurrent requests: ``predict_each``.

    It runs on the runner's thread; the signals are sent by the callers, in their own threads.
    """
    return predict_each(hosted, items)


def attach_runner(hosted: HostedModel) -> None:
    """Give a ready model its runner (a registry on-load hook): limits, and batching if set."""
    if not hosted.ready:
        return
    settings = hosted.batch_settings
    hosted.runner = ModelRunner(
        hosted.name, hosted.limits, lambda items: run_micro_batch(hosted, items),
        batching=settings if settings is not None and settings.enabled else None)


def incoming(hosted: HostedModel) -> AbstractContextManager:
    """Announce a single prediction on its way, so that its model's micro-batch waits for it."""
    runner = hosted.runner
    return nullcontext() if runner is None else runner.incoming()


def run_predict(hosted: HostedModel, data: dict, gone: Gone = None) -> dict:
    """Call the model on one validated input and return its checked output.

    Through the model's runner: within its limits (``ModelBusy``, ``ModelTimeout``), and
    possibly in one call shared with concurrent requests for the same model. ``gone()``, when
    given, tells whether the client has left, so that a request still waiting is not run.
    """
    runner = hosted.runner
    if runner is None:
        started = time.perf_counter()
        outcome = predict_each(hosted, [data])[0]
        call = (1, time.perf_counter() - started)
    else:
        try:
            outcome, call = runner.predict(data, gone)
        except (ModelBusy, ModelTimeout) as refused:
            report_refusal(hosted, refused)
            raise
    return settle(hosted, outcome, call)


def report_refusal(hosted: HostedModel, refused: ModelBusy | ModelTimeout, count: int = 1) -> None:
    """Count a call its runner refused (full queue) or gave up on (timeout)."""
    _report(hosted, "busy" if isinstance(refused, ModelBusy) else "timeout", count)


def settle(hosted: HostedModel, outcome: Any, call: tuple[int, float] | None) -> dict:
    """One single prediction's outcome from its runner: report it, then return it or raise it.

    ``call`` is ``(items, seconds)`` for one of the requests a model call served.
    """
    if call is not None and micro_batch_done.receivers:
        micro_batch_done.send(hosted, count=call[0], seconds=call[1])
    if isinstance(outcome, InvalidInput):
        _report(hosted, "invalid", 1)
        raise outcome
    if isinstance(outcome, BaseException):
        _report(hosted, "error", 1)
        _log_failure(outcome)
        raise outcome
    _report(hosted, "ok", 1)
    return outcome


def _predict_batch_items(hosted: HostedModel, items: list[dict]) -> tuple[list[Any], float]:
    """Predict a batch request's items in one call; retry item by item when the call fails.

    Returns one checked result or ``ModelFailure`` per item, and the seconds taken.
    """
    started = time.perf_counter()
    results, whole = _predict_batch_or_each(hosted, items, "batch")
    if whole:
        try:
            if hosted.output_validator.dump_many_unchanged(results):
                return results, time.perf_counter() - started
        except Exception:  # a result the fast check cannot even read: check each below
            pass
    outcomes = [_checked_outcome(hosted, result) for result in results]
    return outcomes, time.perf_counter() - started


def run_predict_batch(hosted: HostedModel, items: list[dict], gone: Gone = None) -> list[dict]:
    """Call the model on validated inputs and return checked outputs in the same order.

    The whole batch is one call of the model's runner. When ``predict_batch`` fails, each item
    is retried alone, and ``BatchItemsFailed`` names the items that failed on their own.
    """
    if not items:
        return []
    runner = hosted.runner
    if runner is None:
        outcomes, seconds = _predict_batch_items(hosted, items)
    else:
        try:
            outcomes, seconds = runner.call(lambda: _predict_batch_items(hosted, items), gone)
        except (ModelBusy, ModelTimeout) as refused:
            report_refusal(hosted, refused, len(items))
            raise
    refused = {str(index): outcome.errors for index, outcome in enumerate(outcomes)
               if isinstance(outcome, InvalidInput)}
    if refused and not any(isinstance(outcome, ModelFailure) for outcome in outcomes):
        _report(hosted, "invalid", len(items))
        raise ValidationFailed(f"{len(refused)} of {len(items)} batch items were refused by "
                               f"model '{hosted.name}'.", refused)
    failures = {index: outcome.detail for index, outcome in enumerate(outcomes)
                if isinstance(outcome, BaseException)}
    if prediction_done.receivers:
        prediction_done.send(hosted, outcome="error" if failures else "ok", count=len(items),
                             seconds=seconds)
    logged = 0
    for index, outcome in enumerate(outcomes):
        if isinstance(outcome, BaseException) and logged < LOGGED_ITEM_FAILURES:
            _log_failure(outcome, index)
            logged += 1
    if len(failures) > logged:
        log.error("Model %s failed on %d more batch items, not logged one by one",
                  hosted.name, len(failures) - logged)
    if failures:
        raise BatchItemsFailed(hosted.name, failures, len(items),
                               [None if index in failures else outcome
                                for index, outcome in enumerate(outcomes)])
    return outcomes
