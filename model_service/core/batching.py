"""Adaptive micro-batching: concurrent single predictions for one model share one batch call.

A request that finds its model idle runs at once, alone, on the calling thread: no timer, no
hand-off, so there is no added latency without concurrency. Requests that arrive while the model
is busy queue up; when the running call returns, the first of them leads the next call with
everything that queued behind it (up to ``max_batch_size``), and the others wait for their own
result. The batch size adapts to the load: one under light traffic, larger as requests pile up.
The leader thread is always one of the requesting threads, so no background thread exists, and
each forked server worker batches its own requests with its own copy of the (idle) batcher.

Python threads take turns on one interpreter lock, so requests that arrive together do not reach
the batcher together: while one runs the model, the others are still parsing their bodies, and
"what queued while the model was busy" is often nothing. So the batcher also watches how many
requests are inside the model's endpoint at once (``incoming()``, entered as soon as a request is
routed to the model), and remembers the peak over the last ``PEAK_WINDOW``. A leader that has
fewer companions than that peak waits for the rest, at most ``max_wait_ms``, then runs with what
it has. A lone request (peak 1) never waits; under concurrent load the wait ends as soon as the
expected companions have queued, and the model is called once for all of them.

The batcher knows nothing of HTTP or models: ``run_batch`` takes a list of items and returns one
outcome per item, either a result or an exception instance, which is raised in the thread of the
request it belongs to, so a failure stays with its own request.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterator

Outcome = Any  # a result, or an exception instance for that item alone
RunBatch = Callable[[list], list[Outcome]]

DEFAULT_MAX_BATCH_SIZE = 64
DEFAULT_MAX_WAIT_MS = 2.0
PEAK_WINDOW = 0.1  # seconds over which the peak concurrency is remembered


@dataclass(frozen=True)
class BatchSettings:
    """Micro-batching settings of one model (``batching:`` in its models-file entry).

    The defaults here are the only ones: the environment (``MODEL_SERVICE_MICRO_BATCH_*``) and a
    models-file entry override them. ``enabled=None`` means "not said": then a model is batched
    when it overrides ``predict_batch`` (and batching is not switched off).
    """

    enabled: bool | None = None
    max_batch_size: int = DEFAULT_MAX_BATCH_SIZE
    max_wait_ms: float = DEFAULT_MAX_WAIT_MS

    KEYS = ("enabled", "max_batch_size", "max_wait_ms")

    @classmethod
    def from_mapping(cls, mapping: Any, default_enabled: bool | None,
                     defaults: "BatchSettings") -> "BatchSettings":
        """Build settings from a models-file mapping; raise ``ValueError`` naming a bad key."""
        if mapping is None:
            mapping = {}
        if not isinstance(mapping, dict):
            raise ValueError("expected a mapping (enabled, max_batch_size, max_wait_ms)")
        unknown = sorted(str(key) for key in mapping if key not in cls.KEYS)
        if unknown:
            raise ValueError(f"unknown key '{unknown[0]}' (expected one of: "
                             + ", ".join(cls.KEYS) + ")")
        enabled = mapping.get("enabled", default_enabled)
        size = mapping.get("max_batch_size", defaults.max_batch_size)
        wait = mapping.get("max_wait_ms", defaults.max_wait_ms)
        if enabled is not None and not isinstance(enabled, bool):
            raise ValueError("'enabled' must be true or false")
        check_batch_size(size, "'max_batch_size'")
        check_wait_ms(wait, "'max_wait_ms'")
        return cls(enabled=enabled, max_batch_size=size, max_wait_ms=float(wait))

    def decide(self, vectorises: bool, mode: str) -> "BatchSettings":
        """Settle ``enabled``: as configured, else on for a model that vectorises (mode "auto")."""
        if self.enabled is not None:
            return self
        return replace(self, enabled=mode != "off" and vectorises)


def check_batch_size(value: Any, what: str) -> None:
    """Raise ``ValueError`` unless ``value`` is a micro-batch size (an integer of at least 1)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be an integer of at least 1")


def check_wait_ms(value: Any, what: str) -> None:
    """Raise ``ValueError`` unless ``value`` is a wait in milliseconds, from 0 to 1000."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1000:
        raise ValueError(f"{what} must be a number of milliseconds from 0 to 1000")


class _Slot:
    """One request waiting in a batcher: its item, and later its outcome or its turn to lead."""

    __slots__ = ("item", "outcome", "leads", "done")

    def __init__(self, item: Any) -> None:
        self.item = item
        self.outcome: Outcome = None
        self.leads = False
        # A bare lock, held until the outcome (or the lead) is handed over: waking a waiter is
        # then one C-level release, where threading.Event runs a Python-level Condition.
        self.done = threading.Lock()
        self.done.acquire()


class MicroBatcher:
    """Gather concurrent ``submit`` calls into ``run_batch`` calls (see the module docstring)."""

    def __init__(self, run_batch: RunBatch, max_batch_size: int = DEFAULT_MAX_BATCH_SIZE,
                 max_wait_ms: float = DEFAULT_MAX_WAIT_MS) -> None:
        if max_batch_size < 1:
            raise ValueError("max_batch_size must be at least 1")
        self.run_batch = run_batch
        self.max_batch_size = max_batch_size
        self.max_wait = max_wait_ms / 1000
        self._cond = threading.Condition(threading.Lock())
        self._queue: deque[_Slot] = deque()
        self._busy = False
        self._incoming = 0  # announced requests that have not submitted (or given up) yet
        self.calls = 0  # run_batch calls so far, and the items they carried (for metrics)
        self.items = 0
        self._local = threading.local()
        # Peak number of requests inside the model's endpoint over the current and the previous
        # window: how many companions a leader may expect when requests come in a closed loop.
        self._inside = 0
        self._peak = self._previous_peak = 0
        self._window_end = 0.0

    def pending(self) -> int:
        """How many requests are queued behind the running call."""
        with self._cond:
            return len(self._queue)

    @contextmanager
    def incoming(self) -> Iterator[None]:
        """Announce a request that is on its way to ``submit`` (it may still fail validation)."""
        with self._cond:
            self._incoming += 1
            self._inside += 1
            self._local.announced = True
            now = time.monotonic()
            if now > self._window_end:
                stale = now > self._window_end + PEAK_WINDOW
                self._previous_peak = 0 if stale else self._peak
                self._peak = 0
                self._window_end = now + PEAK_WINDOW
            if self._inside > self._peak:
                self._peak = self._inside
        try:
            yield
        finally:
            with self._cond:
                self._inside -= 1
            self._arrived(notify=True)

    def _arrived(self, notify: bool) -> None:
        """Count an announced request of this thread as arrived; call with the lock not held."""
        if getattr(self._local, "announced", False):
            with self._cond:
                self._local.announced = False
                self._incoming -= 1
                if notify and self._incoming == 0:
                    self._cond.notify()

    def submit(self, item: Any) -> Outcome:
        """Return the outcome for ``item``: a result, or an exception instance to raise."""
        slot = _Slot(item)
        with self._cond:
            if getattr(self._local, "announced", False):
                self._local.announced = False
                self._incoming -= 1
            if self._busy:
                self._queue.append(slot)
                self._cond.notify()
                leads = False
            else:
                self._busy = leads = True
        if not leads:
            slot.done.acquire()
            if not slot.leads:
                return slot.outcome
        self._lead(slot)
        return slot.outcome

    def _lead(self, own: _Slot) -> None:
        """Run one call for ``own`` and what queued behind it, then pass the lead on."""
        batch = [own]
        try:
            with self._cond:
                expected = min(self.max_batch_size, max(self._peak, self._previous_peak))
                if self.max_wait and len(self._queue) + 1 < expected:
                    # Others are on their way: give them the interpreter to catch up, briefly.
                    deadline = time.monotonic() + self.max_wait
                    while len(self._queue) + 1 < expected:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            break
                        self._cond.wait(remaining)
                while self._queue and len(batch) < self.max_batch_size:
                    batch.append(self._queue.popleft())
                self.calls += 1
                self.items += len(batch)
            try:
                outcomes = self.run_batch([slot.item for slot in batch])
                if len(outcomes) != len(batch):
                    raise RuntimeError(f"run_batch returned {len(outcomes)} outcomes "
                                       f"for {len(batch)} items")
            except Exception as error:  # a bug of run_batch must not strand the waiters
                outcomes = [RuntimeError(f"micro-batch call failed: {error!r}") for _ in batch]
            for slot, outcome in zip(batch, outcomes):
                slot.outcome = outcome
        finally:
            with self._cond:
                if self._queue:
                    successor = self._queue.popleft()
                    successor.leads = True
                else:
                    successor = None
                    self._busy = False
            for slot in batch[1:]:
                if slot.outcome is None:  # interrupted before any outcome was set
                    slot.outcome = RuntimeError("the micro-batch call was interrupted")
                slot.done.release()
            if successor is not None:
                successor.done.release()
