"""Clients about to come back: when a model call is worth holding for the requests on their way.

A client on a kept-alive connection that sends its next request as soon as it has its answer
(a service calling another, a load test, a pipeline) comes back a fraction of a millisecond after
it was answered. The worker's event loop queues the single predictions of each turn to the
model's runner together, and an idle runner starts a call at once; so when the clients of one
worker drift apart (at the start of a run, say, while connections are still being accepted),
they settle into separate cohorts, each answered by a call of its own and back while the other
cohort's call runs: at 16 connections on two workers, two of the three rounds of one ``make
bench`` served 3.0 and 3.2 requests per model call instead of 5.6, at 1.2x the CPU per request
(the iris model's call costs 230 us whatever its size). Holding merges them: 7.7-7.8 requests
per call (of 8 per worker) in every round since, and 29 instead of 23 at 64 connections.

So the loop remembers the connections it has answered; a client that comes back reports how
long it took (``turnaround``, a moving average). When a turn's predictions would start a call on
an idle runner while clients answered within the last two turnarounds have not come back yet,
the loop holds the round until they have, or until those two turnarounds have passed
(``window``, at most ``MAX_HOLD_S``): the cohorts merge into one call. A lone client is never
held (it is the one that came back), nor is a client answered longer ago than the window, so a
connection idling between requests costs nothing. And the loop holds only while most clients do
come back within the window (``returns``, a moving share, starting at none): clients that think
between requests, each answered and back tens of milliseconds later, never make a request wait.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Hashable

MAX_HOLD_S = 0.001  # the longest a round is held
MIN_HOLD_S = 0.0001
SLOW_RETURN_S = 0.01  # a client back later than this was not waiting on its answer: not averaged
FIRST_TURNAROUND_S = 0.0003
HOLD_WHEN_RETURNING = 0.5  # the share of clients back within the window that makes holding pay


class ReturningClients:
    """The kept-alive connections answered lately, oldest first, and how fast clients return."""

    def __init__(self) -> None:
        self._answered: OrderedDict[Hashable, float] = OrderedDict()
        self.turnaround = FIRST_TURNAROUND_S
        self.returns = 0.0  # moving share of answered clients back within the window

    def answered(self, conn: Hashable, now: float) -> None:
        """``conn`` was answered and kept alive for its next request."""
        self._answered[conn] = now
        self._answered.move_to_end(conn)

    def came_back(self, conn: Hashable, now: float) -> None:
        """``conn`` sent something (its next request, or its close)."""
        answered = self._answered.pop(conn, None)
        if answered is None:
            return  # forgotten: counted as not back when the window passed
        took = now - answered
        if took < SLOW_RETURN_S:
            self.turnaround = 0.9 * self.turnaround + 0.1 * took
        self.returns = 0.9 * self.returns + (0.1 if took <= self.window() else 0.0)

    def window(self) -> float:
        """How long after its answer a client still counts as on its way back."""
        return min(MAX_HOLD_S, max(MIN_HOLD_S, 2 * self.turnaround))

    def expected(self, now: float) -> int:
        """How many clients answered within the window have not come back yet (none while
        clients mostly do not come back within it)."""
        answered = self._answered
        cutoff = now - self.window()
        while answered:
            conn, at = next(iter(answered.items()))
            if at >= cutoff:
                break
            del answered[conn]
            self.returns *= 0.9
        return len(answered) if self.returns >= HOLD_WHEN_RETURNING else 0
