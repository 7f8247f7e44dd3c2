"""Quick predictions run on the event loop's own thread, and a stand-in for one that overstays.

A worker serving a single connection answers each prediction alone: handing the model's call to
its runner thread and the outcome back to the loop is two thread wake-ups, and on this 2-core
host they cost over 100 us, two thirds of the service's own work on the request (reading and
answering it, 168 us at p50). At 1 connection with the iris model, in interleaved 3 s runs: p50
0.71 ms handed over, 0.53-0.58 ms run on the loop's thread, 0.63-0.79 ms for the hand-written
endpoint; in ``make bench`` 0.55 against its 0.65 ms. So the worker runs such a call itself,
when the model has proven quick (``ModelRunner.reserve_for_caller``): a lone client's, and any
small round's with nothing else in flight, which is what clients drifting apart leave
(``ops/worker.py``'s ``LOOP_ROUND_MOST``).

A call on the loop's thread stops the loop: nothing else on that worker is read or answered
until it returns. ``LoopStandIn`` bounds that: a watch thread looks every ``WATCH_S`` while calls
have run on the loop lately, and when one has run ``PATIENCE_S``, it marks the model to run on
its own threads for a while (``ModelRunner.keep_on_own_threads``: 12 calls after a first
overstay, four times more after each next) and stands in for the loop (runs its turns:
accepting, reading, answering, the call's own timeout) until the call comes back; the loop's
thread then waits for the stand-in to hand the loop back at the end of a turn. Should the worker
be told to stop while the call still hangs, the stand-in drains the connections and ends the
process itself. So a call that hangs costs the worker's other clients ``PATIENCE_S`` and a
watch period, once (a hung call keeps its model's slot, so the model is not run on the loop
again while it hangs); its own caller gets its timeout (504) as on the runner's threads.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

log = logging.getLogger(__name__)

PATIENCE_S = 0.02  # a call on the loop's thread running longer than this gets a stand-in
# How often the watch looks, while calls run on the loop. Each look takes the interpreter lock
# from the loop for a moment: every 5 ms cost 12 ms of CPU a second at one connection, every
# 10 ms 5 ms a second (under 1% of a core, 2.4-3.6 us per request).
WATCH_S = 0.01
IDLE_S = 1.0  # the watch sleeps once no call has run on the loop for this long


class LoopStandIn:
    """Runs a model's call on the loop's thread, and the loop elsewhere while one overstays."""

    def __init__(self, turn: Callable[[], bool], stop: Callable[[], Any],
                 wake: Callable[[], None]) -> None:
        self.turn = turn  # one turn of the worker's loop; False once the worker should stop
        self.stop = stop  # the worker's drain and exit, from the stand-in's thread
        self.wake = wake  # wakes the loop from its wait (the stand-in's, while it stands in)
        self.lock = threading.Lock()
        self.since = 0.0  # when the loop's thread started the call it runs; 0.0: none
        self.owner = 0  # that thread
        self.runner: Any = None
        self.outcomes: list | None = None  # the call's, claimed by the loop's thread
        self.standing_in = False
        self.last = 0.0  # when a call last ran on the loop
        self.recent = threading.Event()  # calls ran on the loop lately: the watch looks
        self.back = threading.Event()  # the stand-in handed the loop back
        self.watch: threading.Thread | None = None

    def start(self) -> None:
        """Start the watch thread (in the worker process, before its loop starts)."""
        self.watch = threading.Thread(target=self._watch, name="loop-stand-in", daemon=True)
        self.watch.start()

    def available(self) -> bool:
        """Whether the loop may run a call on its thread now."""
        return self.watch is not None and not self.standing_in

    def run(self, runner) -> list | None:
        """Run ``runner``'s reserved call on this thread (``ModelRunner.run_reserved``).

        Returns the call's finished tickets, for the loop to answer, or None when there are
        none to answer here: the stand-in took the loop meanwhile, and the outcomes went the
        usual way (``ModelRunner`` notifies; the loop answers them in its turn). Returns only
        once this thread holds the loop again.
        """
        with self.lock:
            self.since = self.last = time.monotonic()
            self.owner = threading.get_ident()
            self.runner = runner
        if not self.recent.is_set():
            self.recent.set()
        try:
            runner.run_reserved()
        finally:
            with self.lock:
                self.since = 0.0
                stood_in = self.standing_in
                outcomes, self.outcomes = self.outcomes, None
            if stood_in:
                self.wake()  # the stand-in notices at the end of its turn
                self.back.wait()
                self.back.clear()
        return outcomes

    def claim(self, tickets: list) -> bool:
        """Whether the call's outcomes are the loop's thread's to answer (called where the
        runner hands them over): True on the loop's thread while it still holds the loop,
        and no stand-in can take over after this; False elsewhere (answer the usual way)."""
        if threading.get_ident() != self.owner:
            return False
        with self.lock:
            if not self.since or self.standing_in:
                return False
            self.since = 0.0
            self.outcomes = tickets
            return True

    def _watch(self) -> None:
        while True:
            try:
                self._look()
            except Exception:  # a bug must not end the watch while calls run on the loop
                log.exception("The event loop's watch failed")

    def _look(self) -> None:
        """Wait for calls on the loop; once one overstays, stand in until it returns."""
        while True:
            self.recent.wait()
            time.sleep(WATCH_S)
            with self.lock:
                now = time.monotonic()
                if not self.since:
                    if now - self.last > IDLE_S:
                        self.recent.clear()
                    continue
                if now - self.since < PATIENCE_S:
                    continue
                self.standing_in = True
                runner, started = self.runner, self.since
            try:
                calls = runner.keep_on_own_threads()
                log.warning("Model %s ran %.0f ms on the worker's event loop; standing in for "
                            "the loop until it returns, and running its next %d calls on its "
                            "own threads", runner.name, (now - started) * 1000, calls)
            finally:
                self._stand_in()  # whatever happened above: the loop's thread waits for it

    def _stand_in(self) -> None:
        """Turn the worker's loop until the call on the loop's thread returns."""
        stopped = False
        while True:
            with self.lock:
                if not self.since:
                    self.standing_in = False
                    self.back.set()
                    return
            if stopped:
                time.sleep(WATCH_S)
            elif not self.turn():
                self.stop()  # ends the process: the loop's thread is still in the call
                stopped = True  # (should it return, the loop goes back once the call does)
