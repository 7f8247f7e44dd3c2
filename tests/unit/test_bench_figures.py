"""The bench's figures that compare rounds: paired ratios and the busiest worker's share."""
from __future__ import annotations

import pytest

from bench import run


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
