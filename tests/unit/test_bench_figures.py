"""The bench's figures that compare rounds: how rounds are interleaved and merged, paired
ratios, and the busiest worker's share."""
from __future__ import annotations

import pytest

from bench import run, steadiness


def _runs(key: str, values: list[float]) -> dict:
    return {key: values[len(values) // 2], "runs": [{key: value} for value in values]}


def test_every_round_is_taken_early_and_late_alike():
    order = run.round_order(3, 4)
    assert order == [0, 1, 2, 2, 1, 0, 0, 1, 2, 2, 1, 0]
    # A steady drift of the machine's speed (position 0 fastest, 11 slowest) falls on every
    # round by the same amount: the mean position of each round's slices is the same.
    positions = {r: [i for i, taken in enumerate(order) if taken == r] for r in range(3)}
    assert {sum(p) / len(p) for p in positions.values()} == {5.5}
    assert run.round_order(1, 3) == [0, 0, 0]  # a quick run: one round, all its slices


def test_a_round_merges_its_slices_keeping_them_and_its_most_uneven_slice():
    slices = [{"rps": rps, "p50_ms": 1.0 + i, "p99_ms": p99, "non_2xx": 1, "socket_errors": 0,
               "cpu_us_per_request": 100.0, "busiest_worker_share": share}
              for i, (rps, p99, share) in enumerate([(100, 4.0, 0.51), (80, 40.0, 0.80),
                                                     (120, 5.0, 0.52)])]
    merged = run._merged_slices(slices)
    assert merged["rps"] == pytest.approx(100)  # equal lengths: the mean rate is the rate
    assert (merged["p50_ms"], merged["p99_ms"]) == (2.0, 5.0)  # one opening's tail: not all
    assert merged["non_2xx"] == 3 and merged["busiest_worker_share"] == 0.80
    assert "items_per_model_call" not in merged  # the hand-written endpoint has no model calls
    assert merged["slices"] is slices
    assert "slices" not in run._median_run([merged, merged])  # rounds' medians: figures only


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


def test_steadiness_judges_every_three_consecutive_runs_as_rounds_one_after_another_would():
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
