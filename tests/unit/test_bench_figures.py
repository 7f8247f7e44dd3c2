"""The bench's figures that compare rounds: paired ratios and the busiest worker's share."""
from __future__ import annotations

import pytest

from bench import run, steadiness


def _runs(key: str, values: list[float]) -> dict:
    return {key: values[len(values) // 2], "runs": [{key: value} for value in values]}


def test_a_paired_ratio_compares_each_run_with_the_one_beside_it_not_the_medians():
    # The 50-model server's p99 against the one-model server's, run by run: one slow moment of
    # the host (the 40 ms run) falls on one pair only and leaves the median alone.
    fifty = _runs("p99_ms", [5.0, 6.0, 5.5, 6.6])
    one = _runs("p99_ms", [5.0, 40.0, 5.0, 6.0])
    assert run._paired_ratio(fifty, one, "p99_ms") == pytest.approx(1.05)  # 1.0 1.1 1.1 0.15
    assert run._paired_ratio(_runs("rps", [10.0, 9.0]), _runs("rps", [10.0, 10.0])) == \
        pytest.approx(0.95)


def test_the_busiest_worker_share_is_that_of_the_most_uneven_round():
    even, uneven = {"busiest_worker_share": 0.51}, {"busiest_worker_share": 0.93}
    assert run._busiest({"runs": [even, uneven, even]}) == 0.93
    assert run._busiest({"runs": [{"rps": 1.0}]}) is None  # one worker: nothing to compare


def test_steadiness_judges_every_three_consecutive_runs_as_make_bench_would():
    rates = [100.0, 104.0, 120.0, 101.0, 100.0, 102.0, 103.0]
    assert steadiness.rounds_spreads(rates) == pytest.approx(
        [1.2, 120 / 101, 1.2, 1.02, 1.03])  # one slow moment spoils three windows
    figures = steadiness.summary(rates)
    assert figures["spread"] == pytest.approx(1.2)
    assert figures["rounds_missing"] == pytest.approx(3 / 5)
    assert steadiness.summary([100.0, 101.0, 99.0, 100.0])["rounds_missing"] == 0.0


def test_steadiness_table_puts_the_service_beside_the_hand_written_endpoint():
    text = steadiness.table(64, {"service": [100.0, 110.0, 100.0],
                                 "hand-written": [20.0, 20.0, 26.0]})
    assert "3 load runs" in text and "64 connections" in text
    assert "1.10x" in text and "1.30x" in text
    assert text.splitlines()[2].split() == ["service", "hand-written"]
