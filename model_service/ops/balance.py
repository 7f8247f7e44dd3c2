"""Spreading connections over the workers: a worker holding more than its share lets the others
accept first.

A kept-alive connection stays with the worker that accepted it, and accepting is a race between
the workers' event loops that a busy worker wins about as often as an idle one. Measured on two
workers: 16 connections opened at once split 4/12 to 7/9 (five trials), and in about one 5 s
`wrk` run in six, single predictions ran at a third of the usual rate, one worker saturated
while the other served one or two connections (1.25 requests per model call instead of 4.8).
Closing each connection after ``GUNICORN_KEEPALIVE_REQUESTS`` requests rebalances only as fast
as the race allows.

Each worker publishes how many connections it holds in an array shared by the whole server (a
slot per worker, handed out by the master before it forks: ``gunicorn_conf.pre_fork``). A worker
holding more than the least loaded one (plus ``SLACK``: none, so that even two clients of long
batch requests land on two workers) leaves a waiting connection to the others
for ``YIELD_S``; if nobody has taken it by then, it accepts it itself, so a stuck or busy peer
never strands a client.
"""
from __future__ import annotations

import multiprocessing

SLOTS = 256  # more than any worker count this service runs with
SLACK = 0
YIELD_S = 0.002
_FREE = -1


class ConnectionCounts:
    """The connections each worker holds, in memory shared by the master and its workers."""

    def __init__(self) -> None:
        self.counts = multiprocessing.RawArray("i", [_FREE] * SLOTS)

    def claim(self, taken: set[int]) -> int | None:
        """A free slot for a worker about to be forked (None when all are taken)."""
        for slot in range(SLOTS):
            if slot not in taken:
                self.counts[slot] = 0
                return slot
        return None

    def release(self, slot: int | None) -> None:
        """Free the slot of a worker that has exited."""
        if slot is not None:
            self.counts[slot] = _FREE

    def publish(self, slot: int, count: int) -> None:
        self.counts[slot] = count

    def crowded(self, slot: int, count: int) -> bool:
        """Whether a worker holding ``count`` connections holds more than its share."""
        counts = self.counts
        least = None
        for index in range(SLOTS):
            other = counts[index]
            if other != _FREE and index != slot and (least is None or other < least):
                least = other
        return least is not None and count > least + SLACK
