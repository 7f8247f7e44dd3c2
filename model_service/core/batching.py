"""Adaptive micro-batching: concurrent single predictions for one model share one batch call.

The model's runner (``limits.py``) runs every call on its own threads. A request that finds its
model idle starts a call at once, alone: no timer, so there is no added latency without
concurrency. Requests that arrive while a call runs queue up behind it; when it returns, the
runner's thread takes everything that queued (up to ``max_batch_size``) into the next call, and
every request waits for its own outcome. The batch size adapts to the load: one under light
traffic, larger as requests pile up. A micro-batch holds one of the model's ``max_concurrency``
slots, like any call; a batching model starts another call beside a running one only when a full
batch waits, the queue is full, or the running call is overdue (a stuck call does not hold up
the requests behind it while a slot is free).

Python threads take turns on one interpreter lock, so requests that arrive together do not reach
the model together: while one runs the model, the others are still parsing their bodies, and
"what queued while the model was busy" is often nothing. So the runner also watches how many
requests are inside the model's endpoint at once (``Companions``, entered through the runner's
``incoming()`` as soon as a request is routed to the model), and remembers the peak over the last
``PEAK_WINDOW``. A call that has fewer items than that peak waits for the rest, at most
``max_wait_ms``, and no longer than there are requests still on their way, then runs with what
it has. A lone request (peak 1) never waits; under concurrent load the wait ends as soon as the
expected companions have queued, and the model is called once for all of them.

Nothing here knows HTTP or models: the runner's ``run_items`` takes a list of items and returns
one outcome per item, either a result or an exception instance, which is raised in the thread of
the request it belongs to, so a failure stays with its own request.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from typing import Any

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


class Companions:
    """Count the requests on their way to one model, to tell a micro-batch how many to wait for.

    Not thread-safe on its own: every method is called with the lock of the model's runner held
    (``limits.ModelRunner``), which also owns the wait itself.
    """

    def __init__(self) -> None:
        self.on_the_way = 0  # announced requests that have not submitted (or given up) yet
        self._local = threading.local()
        # Peak number of requests inside the model's endpoint over the current and the previous
        # window: how many companions a call may expect when requests come in a closed loop.
        self._inside = 0
        self._peak = self._previous_peak = 0
        self._window_end = 0.0

    def enter(self) -> None:
        """Count a request of this thread as on its way (``incoming()`` entered)."""
        self.on_the_way += 1
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

    def arrived(self) -> None:
        """Count this thread's announced request as arrived (submitted, or gone without)."""
        if getattr(self._local, "announced", False):
            self._local.announced = False
            self.on_the_way -= 1

    def leave(self) -> None:
        """Count a request of this thread as out of the endpoint (``incoming()`` left)."""
        self._inside -= 1
        self.arrived()

    def expected(self, max_batch_size: int) -> int:
        """How many items a micro-batch may expect to gather: the recent peak, capped."""
        return min(max_batch_size, max(self._peak, self._previous_peak))
