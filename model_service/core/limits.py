"""Per-model limits: how long a caller waits, how many calls run at once, how many may wait.

Every prediction of a hosted model goes through its ``ModelRunner`` (one per model per process):

- The model runs on the runner's own threads, never on a waiting caller's, so a caller can stop
  waiting. (A caller that does not wait in a thread, the worker's event loop, may run a call of
  a proven-quick model itself, ``reserve_for_caller``, with its own guard against a call that
  overstays: ``ops/stand_in.py``.) At most ``max_concurrency`` calls run at once (a
  micro-batch of concurrent requests, ``batching.py``, is one call).
- A caller that finds every slot taken waits in the runner's queue. At most ``max_queue`` wait;
  the next one is refused at once with ``ModelBusy`` (503, ``Retry-After`` estimated from the
  recent duration of a call).
- A caller waits at most ``timeout_s`` in all, queue and call, and then gets ``ModelTimeout``
  (504). A request that times out before its call started is taken out of the queue and never
  run. One whose call had started cannot be stopped (Python cannot stop a thread): the call runs
  to its end on the runner's thread, keeps its slot until then, and its result is dropped. So a
  hung model costs its own slots and its own callers, never another model's or a page's thread.

A model that holds the interpreter lock (a C extension that never releases it) stops every
thread of the process, the callers' timers included; nothing inside the process can answer then,
and the server's worker timeout restarts the worker. A pure-Python loop does not hold it: the
caller gets its 504 on time.

Nothing here knows HTTP: the runner takes plain items and callables and raises domain errors.
"""
from __future__ import annotations

import logging
import math
import os
import threading
import time
import weakref
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from .batching import BatchSettings, Companions
from .errors import ClientGone, ModelBusy, ModelTimeout

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_CONCURRENCY = 4
DEFAULT_MAX_QUEUE = 64
MAX_TIMEOUT_S = 3600.0
# How often a waiting caller looks up from its wait: to start a call beside an overdue one, or
# to give up when its client has gone. Waking costs a few microseconds; a call that answers
# sooner wakes its caller at once.
WAIT_SLICE = 0.05
# A micro-batching model starts a second call beside a running one when the running call has
# taken this many times its usual duration (and at least OVERDUE_FLOOR seconds).
OVERDUE_FACTOR = 4
OVERDUE_FLOOR = 0.05
# A model with a call running longer than this is stalled: its waiting callers must not take
# the threads of a server that has a fixed number of them (see _CallerRoom).
STALL_S = 0.5
# A caller may run a call itself (``reserve_for_caller``) once the model's own threads have made
# this many calls, averaging at most CALLER_MAX_CALL_S each.
CALLER_AFTER_CALLS = 3
CALLER_MAX_CALL_S = 0.002

Outcome = Any  # a result, or an exception instance for that item alone
RunItems = Callable[[list], list]
Offload = Callable[..., Any]

_WAITING, _RUNNING, _FINISHED, _ABANDONED = range(4)


@dataclass(frozen=True)
class Limits:
    """Limits of one model (``limits:`` in its models-file entry; defaults from the environment)."""

    timeout_s: float = DEFAULT_TIMEOUT_S
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    max_queue: int = DEFAULT_MAX_QUEUE

    KEYS = ("timeout_s", "max_concurrency", "max_queue")

    @classmethod
    def from_mapping(cls, mapping: Any, defaults: "Limits") -> "Limits":
        """Build limits from a models-file mapping; raise ``ValueError`` naming a bad key."""
        if mapping is None:
            mapping = {}
        if not isinstance(mapping, dict):
            raise ValueError("expected a mapping (" + ", ".join(cls.KEYS) + ")")
        unknown = sorted(str(key) for key in mapping if key not in cls.KEYS)
        if unknown:
            raise ValueError(f"unknown key '{unknown[0]}' (expected one of: "
                             + ", ".join(cls.KEYS) + ")")
        timeout = mapping.get("timeout_s", defaults.timeout_s)
        concurrency = mapping.get("max_concurrency", defaults.max_concurrency)
        queue = mapping.get("max_queue", defaults.max_queue)
        check_timeout(timeout, "'timeout_s'")
        check_count(concurrency, "'max_concurrency'", 1)
        check_count(queue, "'max_queue'", 0)
        return cls(float(timeout), concurrency, queue)


def check_timeout(value: Any, what: str) -> None:
    """Raise ``ValueError`` unless ``value`` is a number of seconds above 0, at most an hour."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not 0 < value <= MAX_TIMEOUT_S:
        raise ValueError(f"{what} must be a number of seconds above 0 and at most "
                         f"{MAX_TIMEOUT_S:g}")


def check_count(value: Any, what: str, low: int) -> None:
    """Raise ``ValueError`` unless ``value`` is an integer of at least ``low``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{what} must be an integer of at least {low}")


_offload: Offload | None = None


class _CallerRoom:
    """How many callers a stalled model may keep waiting in this process.

    Unlimited unless a server sets it (``set_caller_capacity``): where each waiting caller
    holds one of a fixed number of threads (gunicorn's gthread), a model whose call has run
    longer than ``STALL_S`` may keep at most half of the room's places (and none once the room
    is full): its callers beyond that are refused at once, and those already waiting but not
    started leave its queue with a 503 within ``WAIT_SLICE``. The threads left over keep serving
    pages, probes and the other models. A model that answers briskly is never held to this.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.capacity: int | None = None
        self.per_model = 0
        self.inside = 0


_room = _CallerRoom()


def set_caller_capacity(capacity: int | None) -> None:
    """Keep the callers of stalled models to ``capacity`` in all, half of it per model.

    ``None``: no limit but each model's own (servers where a waiting caller costs no thread).
    """
    if capacity is not None:
        check_count(capacity, "the caller capacity", 1)
    _room.lock = threading.Lock()
    _room.capacity = capacity
    _room.per_model = max(1, capacity // 2) if capacity else 0
    _room.inside = 0


def set_offload(offload: Offload | None) -> None:
    """Make runner threads call the model through ``offload(function, *args)``.

    For servers whose threads are not operating-system threads (gevent's patched ``threading``):
    they hand the model call to a real thread so that it cannot stop the event loop. ``None``
    calls the model directly on the runner's thread.
    """
    global _offload
    _offload = offload


class _Ticket:
    """One caller's work in a runner: an item to batch, or a callable run alone."""

    __slots__ = ("work", "joinable", "deadline", "state", "outcome", "error", "call", "done",
                 "notify")

    def __init__(self, work: Any, joinable: bool, deadline: float,
                 notify: Callable[[list["_Ticket"]], None] | None = None) -> None:
        self.work = work
        self.notify = notify  # for a caller that does not wait in a thread (``submit_many``)
        self.joinable = joinable
        self.deadline = deadline
        self.state = _WAITING
        self.outcome: Any = None
        self.error: BaseException | None = None
        self.call: tuple[int, float] | None = None  # (items, seconds) for one caller per call
        # A bare lock held until the outcome is handed over: waking a waiter is one C-level
        # release, where threading.Event runs a Python-level Condition.
        self.done = threading.Lock()
        self.done.acquire()


_runners: "weakref.WeakSet[ModelRunner]" = weakref.WeakSet()


class ModelRunner:
    """Run one model's calls on its own threads, within its ``Limits`` (see the module docstring)."""

    def __init__(self, name: str, limits: Limits, run_items: RunItems,
                 batching: BatchSettings | None = None) -> None:
        self.name = name
        self.limits = limits
        self.run_items = run_items
        self.max_batch_size = batching.max_batch_size if batching else 1
        self.max_wait = batching.max_wait_ms / 1000 if batching else 0.0
        self.batching = batching is not None
        self.calls = 0  # calls so far, and the items they carried
        self.items = 0
        self._call_seconds = 0.0  # moving average of a call's duration
        # Calls on its own threads before a caller may run one (``reserve_for_caller``): more
        # after each call run by a caller that overstayed.
        self._caller_after = CALLER_AFTER_CALLS
        self._overstays = 0
        self._reset()
        _runners.add(self)

    def _reset(self) -> None:
        """Start empty: at creation, and in a forked child, whose copy has no threads."""
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)  # idle runner threads wait here
        self._arrivals = threading.Condition(self._lock)  # a gathering call waits here
        self._queue: deque[_Ticket] = deque()
        self._active = 0  # slots taken: calls running, or handed to a thread not yet started
        self._to_start = 0  # slots handed out that no thread has taken up yet
        self._reserved = False  # a slot taken by a caller that runs the next call itself
        self._threads = 0
        self._idle = 0
        self._running: dict[int, float] = {}  # call number -> when it started
        self._companions = Companions() if self.batching else None
        self._callers = 0  # callers of this model inside the process's caller room

    # --- Callers ------------------------------------------------------------------------

    @contextmanager
    def incoming(self) -> Iterator[None]:
        """Announce a single prediction on its way, so that a gathering micro-batch waits for it."""
        if self._companions is None:
            yield
            return
        with self._lock:
            self._companions.enter()
        try:
            yield
        finally:
            with self._lock:
                self._companions.leave()
                if self._companions.on_the_way == 0:
                    self._arrivals.notify()

    def predict(self, item: Any, gone: Callable[[], bool] | None = None
                ) -> tuple[Outcome, tuple[int, float] | None]:
        """Return the outcome for ``item`` and, for one caller per call, ``(items, seconds)``.

        Raises ``ModelBusy`` when the queue is full and ``ModelTimeout`` after ``timeout_s``;
        ``gone()``, when given, is asked while waiting whether the caller has left.
        """
        ticket = self._submit_and_wait(item, True, gone)
        return ticket.outcome, ticket.call

    def call(self, function: Callable[[], Any], gone: Callable[[], bool] | None = None) -> Any:
        """Run ``function()`` alone as one call within the limits; return or raise what it does."""
        ticket = self._submit_and_wait(function, False, gone)
        if ticket.error is not None:
            raise ticket.error
        return ticket.outcome

    def _submit_and_wait(self, work: Any, joinable: bool,
                         gone: Callable[[], bool] | None) -> _Ticket:
        """Queue ``work`` and wait for its outcome, inside the process's caller room if set."""
        room = _room.capacity is not None
        if room:
            self._enter_room()
        try:
            ticket = self._submit(work, joinable)
            self._wait(ticket, gone)
        finally:
            if room:
                self._leave_room()
        return ticket

    def _enter_room(self) -> None:
        with self._lock:
            stalled = self._stalled(time.monotonic())
        with _room.lock:
            if not stalled or (_room.inside < _room.capacity
                               and self._callers < _room.per_model):
                _room.inside += 1
                self._callers += 1
                return
        with self._lock:
            raise self._busy(len(self._queue))

    def _over_room(self) -> bool:
        """Whether this model is stalled and holds more than its share of the room."""
        return _room.capacity is not None and (
            self._callers > _room.per_model or _room.inside > _room.capacity) \
            and self._stalled(time.monotonic())

    def _stalled(self, now: float) -> bool:
        """Whether a call has run longer than ``STALL_S`` (lock held)."""
        running = self._running
        return bool(running) and now - min(running.values(), default=now) > STALL_S

    def _leave_room(self) -> None:
        with _room.lock:
            _room.inside -= 1
            self._callers -= 1

    def submit_many(self, items: list, notify: Callable[[list[_Ticket]], None]
                    ) -> list[_Ticket | ModelBusy]:
        """Queue ``items`` for calls without waiting: a ticket per item (or ``ModelBusy`` for an
        item the full queue refuses), all queued at once so that one call can take them together.

        For a server whose event loop holds the requests instead of threads (``ops/worker.py``):
        ``notify(tickets)`` is called on the runner's thread once per call, with the tickets
        whose outcomes that call brought in (``ticket.outcome`` and ``ticket.call``, as
        ``predict`` returns them); nothing waits. Once per call, not per ticket: the caller is
        woken once and answers the call's requests together, so their clients' next requests
        come back together and make the next call as large (a wake-up per ticket spread the
        answers over as many interpreter hand-offs, and in two 5 s runs of 14 at 16 connections
        the calls shrank to 1.7 and 1.9 items at 1.6-1.8x the CPU per request).
        The caller enforces ``ticket.deadline`` and notices a client leaving with ``give_up``.
        """
        deadline = time.monotonic() + self.limits.timeout_s
        tickets: list[_Ticket | ModelBusy] = []
        with self._lock:
            for item in items:
                ticket = _Ticket(item, True, deadline, notify)
                try:
                    self._enqueue(ticket)
                except ModelBusy as busy:
                    tickets.append(busy)
                else:
                    tickets.append(ticket)
        return tickets

    def reserve_for_caller(self) -> bool:
        """Take a slot for the caller's own thread, when nothing runs or waits and the model has
        proven quick (``CALLER_AFTER_CALLS`` calls on its threads, at most ``CALLER_MAX_CALL_S``
        on average; more after one overstayed, ``keep_on_own_threads``): the next
        ``submit_many`` then queues without starting a call, and the caller runs that call with
        ``run_reserved``. False, and nothing reserved, otherwise.

        For an event loop with nothing else in flight (a lone client, a small round): handing
        the call to a runner thread and its outcome back is two thread wake-ups, a sixth of the
        answer at one connection (p50 0.71 against 0.53-0.58 ms for the iris model, interleaved
        runs). The caller guards against a call that overstays itself (``ops/stand_in.py``) and
        then calls ``keep_on_own_threads``.
        """
        if _offload is not None or self.calls < self._caller_after \
                or self._call_seconds > CALLER_MAX_CALL_S:
            return False
        with self._lock:
            if self._active or self._queue or self._reserved:
                return False
            self._active += 1
            self._reserved = True
            return True

    def run_reserved(self) -> None:
        """Run the queued call in the slot ``reserve_for_caller`` took, on the calling thread;
        its outcomes are handed over as a runner thread's are (``notify``)."""
        with self._lock:
            self._reserved = False
            try:
                batch = self._take_live(self.max_batch_size)
                if batch:
                    self._run(batch)
            finally:
                self._active -= 1
                if self._queue and self._active < self.limits.max_concurrency:
                    self._start_call()  # what came meanwhile (a thread's caller) runs as usual

    def keep_on_own_threads(self) -> int:
        """A call run by a caller overstayed: the model's calls run on its own threads again,
        for ``CALLER_AFTER_CALLS`` times four to the power of its overstays (12, 48...); return
        that count. A call that hangs for good keeps its slot, so none is reserved after it;
        a model that was slow once (a busy host) gets the quick road back soon."""
        self._overstays += 1
        calls = CALLER_AFTER_CALLS * 4 ** self._overstays
        self._caller_after = self.calls + calls
        return calls

    def give_up(self, ticket: _Ticket, gone: bool = False) -> ModelTimeout | ClientGone | None:
        """Take back a ``submit_many`` ticket at its deadline (or when ``gone``, its client has
        left): the error to answer with, or None when its outcome is in (``notify`` has been
        called). A ticket still queued is never run; a running call's result is dropped."""
        with self._lock:
            if ticket.state == _FINISHED:
                return None
            started = ticket.state == _RUNNING
            if ticket.state == _WAITING:
                self._queue.remove(ticket)
            ticket.state = _ABANDONED
        if gone:
            return ClientGone(self.name)
        return ModelTimeout(self.name, self.limits.timeout_s, started)

    def _submit(self, work: Any, joinable: bool) -> _Ticket:
        ticket = _Ticket(work, joinable, time.monotonic() + self.limits.timeout_s)
        with self._lock:
            if self._companions is not None and joinable:
                self._companions.arrived()
            self._enqueue(ticket)
        return ticket

    def _enqueue(self, ticket: _Ticket) -> None:
        """Queue ``ticket`` and start a call when one should start (lock held)."""
        limits = self.limits
        free = self._active < limits.max_concurrency and not self._reserved
        # Tickets that calls about to start will take at once are not waiting for a slot.
        waiting = max(0, len(self._queue) - self._to_start * self.max_batch_size)
        if not free and waiting >= limits.max_queue:
            raise self._busy(waiting)
        self._queue.append(ticket)
        waiting += 1
        joinable = ticket.joinable
        if free and (not self.batching or self._active == 0 or not joinable
                     or waiting > limits.max_queue or waiting >= self.max_batch_size
                     or self._overdue(time.monotonic())):
            self._start_call()
        elif self.batching:
            self._arrivals.notify()

    def _busy(self, waiting: int) -> ModelBusy:
        per_call = self._call_seconds or 0.1
        calls_ahead = self._active + math.ceil(waiting / self.max_batch_size)
        seconds = calls_ahead * per_call / self.limits.max_concurrency
        retry_after = max(1, min(math.ceil(seconds), math.ceil(self.limits.timeout_s)))
        return ModelBusy(self.name, self._active, waiting, retry_after)

    def _wait(self, ticket: _Ticket, gone: Callable[[], bool] | None) -> None:
        """Wait for ``ticket``'s outcome until its deadline; give it up on time or when gone."""
        sliced = gone is not None or _room.capacity is not None \
            or (self.batching and self.limits.max_concurrency > 1)
        while True:
            remaining = ticket.deadline - time.monotonic()
            if remaining > 0 and ticket.done.acquire(
                    timeout=min(remaining, WAIT_SLICE) if sliced else remaining):
                return
            left = gone is not None and remaining > 0 and gone()
            with self._lock:
                if ticket.state == _FINISHED:
                    ticket.done.acquire()  # released just now: take the outcome
                    return
                if remaining <= 0 or left:
                    started = ticket.state == _RUNNING
                    if ticket.state == _WAITING:
                        self._queue.remove(ticket)  # never run
                    ticket.state = _ABANDONED
                    if left:
                        raise ClientGone(self.name)
                    raise ModelTimeout(self.name, self.limits.timeout_s, started)
                if ticket.state == _WAITING and self._over_room():
                    self._queue.remove(ticket)  # never run: its thread is worth more elsewhere
                    ticket.state = _ABANDONED
                    raise self._busy(len(self._queue))
                if ticket.state == _WAITING and self._active < self.limits.max_concurrency \
                        and self._overdue(time.monotonic()):
                    self._start_call()

    # --- Runner threads -------------------------------------------------------------------

    def _overdue(self, now: float) -> bool:
        """Whether the latest call has run long past a call's usual duration (lock held)."""
        if not self._running:
            return False
        latest = max(self._running.values())
        return now - latest > max(OVERDUE_FLOOR, OVERDUE_FACTOR * self._call_seconds)

    def _start_call(self) -> None:
        """Take a slot and have a runner thread start a call (lock held)."""
        self._active += 1
        self._to_start += 1
        if self._idle >= self._to_start:
            self._work.notify()
        else:
            self._threads += 1
            threading.Thread(target=self._serve, name=f"model-{self.name}", daemon=True).start()

    def _serve(self) -> None:
        """A runner thread: take up handed-out slots, and run calls while work is queued."""
        with self._lock:
            while True:
                while not self._to_start:
                    self._idle += 1
                    self._work.wait()
                    self._idle -= 1
                self._to_start -= 1
                while (batch := self._take()):
                    self._run(batch)
                self._active -= 1

    def _take(self) -> list[_Ticket]:
        """Take the next call's tickets from the queue (lock held; may wait for companions)."""
        batch = self._take_live(1)
        if not batch or not batch[0].joinable or not self.batching:
            return batch
        expected = self._companions.expected(self.max_batch_size)
        if self.max_wait and self._joinable_waiting() + 1 < expected:
            deadline = time.monotonic() + self.max_wait
            while self._joinable_waiting() + 1 < expected:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._arrivals.wait(remaining)
        batch += self._take_live(self.max_batch_size - 1)
        return batch

    def _joinable_waiting(self) -> int:
        count = 0
        for ticket in self._queue:
            if not ticket.joinable:
                break
            count += 1
        return count

    def _take_live(self, most: int) -> list[_Ticket]:
        """Up to ``most`` tickets from the front of the queue whose callers still wait."""
        taken: list[_Ticket] = []
        now = time.monotonic()
        while self._queue and len(taken) < most:
            ticket = self._queue[0]
            if taken and not ticket.joinable:
                break
            self._queue.popleft()
            if ticket.deadline <= now:  # its caller is timing out: not run
                ticket.state = _ABANDONED
                continue
            ticket.state = _RUNNING
            taken.append(ticket)
            if not ticket.joinable:
                break
        return taken

    def _run(self, batch: list[_Ticket]) -> None:
        """Run one call outside the lock (held on entry and on return); hand over outcomes."""
        self.calls += 1
        self.items += len(batch)
        number = self.calls
        started = time.monotonic()
        self._running[number] = started
        self._lock.release()
        try:
            outcomes, error = self._execute(batch)
        finally:
            self._lock.acquire()
            del self._running[number]
        seconds = time.monotonic() - started
        self._call_seconds = seconds if not self._call_seconds \
            else 0.8 * self._call_seconds + 0.2 * seconds
        reported = False
        finished: dict[Callable[[list[_Ticket]], None], list[_Ticket]] = {}
        for ticket, outcome in zip(batch, outcomes):
            if ticket.state != _RUNNING:  # its caller gave up: the late result is dropped
                continue
            ticket.outcome, ticket.error = outcome, error
            if not reported:
                ticket.call, reported = (len(batch), seconds), True
            ticket.state = _FINISHED
            ticket.done.release()
            if ticket.notify is not None:
                finished.setdefault(ticket.notify, []).append(ticket)
        for notify, tickets in finished.items():
            notify(tickets)
        if not reported:
            log.warning("Model %s answered after its callers gave up (%.1f s); result dropped",
                        self.name, seconds)

    def _execute(self, batch: list[_Ticket]) -> tuple[list, BaseException | None]:
        offload = _offload
        if not batch[0].joinable:
            try:
                function = batch[0].work
                return [function() if offload is None else offload(function)], None
            except BaseException as error:  # the caller re-raises it in its own thread
                return [None], error
        items = [ticket.work for ticket in batch]
        try:
            outcomes = self.run_items(items) if offload is None else offload(self.run_items, items)
            if len(outcomes) != len(batch):
                raise RuntimeError(f"run_items returned {len(outcomes)} outcomes "
                                   f"for {len(batch)} items")
        except BaseException as error:  # a bug, or a model calling sys.exit: never strand
            log.error("Model %s: a call failed outside the model", self.name,  # the waiters
                      exc_info=(type(error), error, error.__traceback__))
            outcomes = [RuntimeError(f"model call failed: {error!r}") for _ in batch]
        return outcomes, None

    # --- State ----------------------------------------------------------------------------

    def idle(self) -> bool:
        """Whether no call runs and nobody waits (read without the lock: a hint)."""
        return not self._active and not self._queue

    def pending(self) -> int:
        """How many callers wait in the queue for a call."""
        with self._lock:
            return len(self._queue)

    def state(self) -> dict[str, int]:
        """Calls running, callers waiting, and calls running past ``timeout_s`` (stuck)."""
        with self._lock:
            now = time.monotonic()
            stuck = sum(1 for started in self._running.values()
                        if now - started > self.limits.timeout_s)
            return {"running": len(self._running), "waiting": len(self._queue), "stuck": stuck}


def reset_all() -> None:
    """Empty every runner of this process, with locks and thread-locals made anew.

    Called in every forked child (a worker inherits each runner's state but none of its
    threads), and again by a server that patches ``threading`` after forking (gevent), so that
    the runners use the patched primitives. Call it before any request is served.
    """
    for runner in list(_runners):
        runner._reset()
    set_caller_capacity(_room.capacity)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=reset_all)
