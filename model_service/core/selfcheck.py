"""Check a loaded model as the service would use it: contract, examples, outputs, batches, time.

One routine for ``model-service check`` and for ``model_service.testing.check_model`` (a model
package's own pytest), so both say the same thing in the same words. Each finding is ``ok``,
``warn`` (works, but something a user will miss) or ``fail`` (the service would refuse or break).
"""
from __future__ import annotations

import json
import math
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from .registry import HostedModel
from .values import flatten_errors

BATCH_ROWS = 64  # rows in the timed batch (the examples, repeated)
TIMED_CALLS = 20  # single calls timed for the median


@dataclass(frozen=True)
class Finding:
    """One line of a check: its level, what was checked and, when useful, a detail."""

    level: str  # "ok", "warn" or "fail"
    what: str
    detail: str = ""


@dataclass
class CheckReport:
    """Every finding about one model."""

    model: str
    source: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(finding.level != "fail" for finding in self.findings)

    def add(self, level: str, what: str, detail: str = "") -> None:
        self.findings.append(Finding(level, what, detail))

    def failures(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.level == "fail"]


def _errors_text(errors: Any) -> str:
    return "; ".join(f"{'.'.join(path) or '(input)'}: {message}"
                     for path, message in flatten_errors(errors))


def check_hosted(hosted: HostedModel) -> CheckReport:
    """Check one model of a registry and return every finding (nothing raised)."""
    report = CheckReport(hosted.name, hosted.source)
    if not hosted.ready:
        report.add("fail", "loads and implements the MLModel contract", hosted.error or "failed")
        return report
    report.add("ok", "loads and implements the MLModel contract",
               f"{hosted.load_seconds:.3f} s to load")
    declared = getattr(hosted.model_class, "examples", None) or []
    if not declared:
        report.add("warn", "declares examples",
                   "none: add `examples = [...]` (valid inputs) for the API document, the "
                   "form's first values and this check")
        return report
    loaded = []
    for number, example in enumerate(declared, start=1):
        data, errors = (hosted.input_validator.load(example) if isinstance(example, dict)
                        else (None, {"_schema": ["Expected an object."]}))
        if errors:
            report.add("fail", f"example {number} matches the input schema", _errors_text(errors))
            continue
        report.add("ok", f"example {number} matches the input schema")
        output = _predict_checked(report, hosted, data, number)
        if output is not None:
            loaded.append((data, output))
    if loaded:
        _check_batch(report, hosted, loaded)
        _time(report, hosted, [data for data, _ in loaded])
    return report


def _predict_checked(report: CheckReport, hosted: HostedModel, data: dict, number: int) -> Any:
    try:
        result = hosted.model.predict(data)
    except Exception as error:
        report.add("fail", f"example {number}: predict runs",
                   f"{type(error).__name__}: {error}")
        return None
    dumped, errors = hosted.output_validator.dump_checked(result)
    if errors:
        report.add("fail", f"example {number}: the output matches the output schema",
                   _errors_text(errors))
        return None
    report.add("ok", f"example {number}: the output matches the output schema", _short(dumped))
    return dumped


def _check_batch(report: CheckReport, hosted: HostedModel, loaded: list) -> None:
    items = [data for data, _ in loaded]
    try:
        results = hosted.model.predict_batch(items)
    except Exception as error:
        report.add("fail", "predict_batch runs", f"{type(error).__name__}: {error}")
        return
    if not isinstance(results, list) or len(results) != len(items):
        report.add("fail", "predict_batch returns one result per item",
                   f"{len(items)} items gave {type(results).__name__}"
                   f"{' of ' + str(len(results)) if isinstance(results, list) else ''}")
        return
    for number, ((_, single), result) in enumerate(zip(loaded, results), start=1):
        dumped, errors = hosted.output_validator.dump_checked(result)
        if errors:
            report.add("fail", f"predict_batch item {number} matches the output schema",
                       _errors_text(errors))
            return
        if not _same(dumped, single):
            report.add("fail", f"predict_batch agrees with predict on example {number}",
                       f"predict: {_short(single)}; predict_batch: {_short(dumped)}")
            return
    report.add("ok", f"predict_batch agrees with predict on {len(items)} example(s)")


def _time(report: CheckReport, hosted: HostedModel, items: list) -> None:
    single = []
    for index in range(TIMED_CALLS):
        started = time.perf_counter()
        hosted.model.predict(items[index % len(items)])
        single.append(time.perf_counter() - started)
    batch = [items[index % len(items)] for index in range(BATCH_ROWS)]
    started = time.perf_counter()
    hosted.model.predict_batch(batch)
    seconds = time.perf_counter() - started
    report.add("ok", "time", f"one call {statistics.median(single) * 1000:.2f} ms (median of "
               f"{TIMED_CALLS}); a batch of {BATCH_ROWS} {seconds * 1000:.2f} ms")


def _same(left: Any, right: Any) -> bool:
    """Equal as JSON values, floats within a relative 1e-9 (vectorised maths may round apart)."""
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_same(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_same, left, right))
    return left == right


def _short(value: Any, limit: int = 120) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit - 1] + "…"
