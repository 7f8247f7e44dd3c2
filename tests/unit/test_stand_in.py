"""A quick call run by its caller's thread (``ModelRunner.reserve_for_caller``), and the stand-in
that takes the event loop over while such a call overstays (``ops/stand_in.py``)."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from model_service.core import limits
from model_service.core.limits import Limits, ModelRunner
from model_service.ops import stand_in as stand_in_module
from model_service.ops.stand_in import LoopStandIn


def _runner(run_items, max_concurrency: int = 1) -> ModelRunner:
    return ModelRunner("m", Limits(timeout_s=10, max_concurrency=max_concurrency,
                                   max_queue=100), run_items)


def _warm(runner: ModelRunner) -> None:
    """The calls on the runner's own threads a model makes before a caller may run one."""
    for value in range(limits.CALLER_AFTER_CALLS):
        runner.predict(value)


def _threads_of(runner_calls: list) -> set[str]:
    return {name for name, _ in runner_calls}


@pytest.mark.parametrize("max_concurrency", [1, 4])
def test_a_reserved_call_runs_on_the_callers_thread_and_is_notified_there(max_concurrency):
    calls: list = []

    def run_items(items):
        calls.append((threading.current_thread().name, list(items)))
        return [item * 2 for item in items]

    runner = _runner(run_items, max_concurrency)
    assert not runner.reserve_for_caller()  # unproven: no call on its own threads yet
    _warm(runner)
    assert _threads_of(calls) == {"model-m"}
    assert runner.reserve_for_caller()
    assert not runner.reserve_for_caller()  # one slot for one caller
    notified: list = []
    [ticket] = runner.submit_many([21], lambda tickets: notified.append(
        (threading.current_thread().name, [t.outcome for t in tickets])))
    time.sleep(0.05)
    assert calls[-1][1] != [21], "the reserved item must wait for its caller, not a thread"
    runner.run_reserved()
    here = threading.current_thread().name
    assert calls[-1] == (here, [21]) and notified == [(here, [42])] and ticket.outcome == 42
    assert runner.idle() and runner.state()["running"] == 0


def test_a_threads_caller_arriving_during_a_reserved_call_is_served_after_it():
    gate, entered = threading.Event(), threading.Event()

    def run_items(items):
        if items == [100]:
            entered.set()
            gate.wait(10)
        return [item + 1 for item in items]

    runner = _runner(run_items)
    _warm(runner)
    assert runner.reserve_for_caller()
    runner.submit_many([100], lambda tickets: None)
    with ThreadPoolExecutor(2) as pool:
        reserved = pool.submit(runner.run_reserved)
        assert entered.wait(10)
        waiting = pool.submit(runner.predict, 5)
        time.sleep(0.05)
        assert not waiting.done()
        gate.set()
        reserved.result(timeout=10)
        assert waiting.result(timeout=10)[0] == 6
    assert runner.idle()


def test_a_slow_model_is_never_run_by_a_caller_and_one_that_overstayed_only_later():
    runner = _runner(lambda items: [time.sleep(limits.CALLER_MAX_CALL_S * 3) or 0
                                    for _ in items])
    _warm(runner)
    assert not runner.reserve_for_caller()  # its calls take longer than a caller may wait
    quick = _runner(lambda items: items)
    _warm(quick)
    for overstays, calls in enumerate([12, 48]):
        assert quick.keep_on_own_threads() == calls == limits.CALLER_AFTER_CALLS * 4 ** (
            overstays + 1)
        for _ in range(calls - 1):
            quick.predict(0)
            assert not quick.reserve_for_caller()
        quick.predict(0)
        assert quick.reserve_for_caller()
        quick.submit_many([1], lambda tickets: None)
        quick.run_reserved()


class _Runner:
    """A runner whose reserved call waits for ``release`` and then notifies like the real one."""

    name = "stub"

    def __init__(self, stand_in: LoopStandIn, claimed: list) -> None:
        self.stand_in, self.claimed = stand_in, claimed
        self.release = threading.Event()
        self.kept_off = False

    def run_reserved(self) -> None:
        self.release.wait(10)
        if not self.stand_in.claim(["ticket"]):
            self.claimed.append("deferred")

    def keep_on_own_threads(self) -> int:
        self.kept_off = True
        return 12


def test_a_quick_call_is_answered_by_the_loops_thread_and_nothing_stands_in():
    turns: list = []
    stand_in = LoopStandIn(lambda: turns.append(1) or True, lambda: None, lambda: None)
    stand_in.start()
    runner = _Runner(stand_in, [])
    runner.release.set()
    assert stand_in.run(runner) == ["ticket"]
    time.sleep(stand_in_module.PATIENCE_S * 3)
    assert turns == [] and not runner.kept_off and stand_in.available()


def test_a_call_that_overstays_gets_a_stand_in_until_it_returns():
    turns: list = []
    woken = threading.Event()

    def turn() -> bool:
        turns.append(threading.current_thread().name)
        time.sleep(0.001)
        return True

    stand_in = LoopStandIn(turn, lambda: None, woken.set)
    stand_in.start()
    claimed: list = []
    runner = _Runner(stand_in, claimed)
    with ThreadPoolExecutor(1) as pool:
        loop = pool.submit(stand_in.run, runner)
        try:
            time.sleep(stand_in_module.PATIENCE_S + 0.1)
            assert turns and set(turns) == {"loop-stand-in"}, "the loop must be turned meanwhile"
            assert runner.kept_off and not stand_in.available()
        finally:
            runner.release.set()
        # The outcome went the usual way (the stand-in's turn answers it), and the loop's
        # thread got the loop back once the stand-in finished its turn.
        assert loop.result(timeout=5) is None
    assert claimed == ["deferred"] and woken.is_set()
    count = len(turns)
    time.sleep(0.05)
    assert len(turns) == count and stand_in.available()


def test_a_stop_while_the_call_still_hangs_is_the_stand_ins_to_carry_out():
    stopped = threading.Event()
    alive = {"yes": True}
    stand_in = LoopStandIn(lambda: time.sleep(0.001) or alive["yes"], stopped.set,
                           lambda: None)
    stand_in.start()
    runner = _Runner(stand_in, [])
    with ThreadPoolExecutor(1) as pool:
        pool.submit(stand_in.run, runner)
        try:
            time.sleep(stand_in_module.PATIENCE_S + 0.1)
            assert not stopped.is_set()
            alive["yes"] = False  # the worker was told to stop
            assert stopped.wait(5)
        finally:
            runner.release.set()
