"""The loop's memory of clients answered lately (``ops/returning.py``)."""
import pytest

from model_service.ops.returning import (FIRST_TURNAROUND_S, MAX_HOLD_S, MIN_HOLD_S,
                                         SLOW_RETURN_S, ReturningClients)


def _returning(turnaround: float = 0.0002, times: int = 20) -> ReturningClients:
    """Clients that have come back quickly, as a closed loop of callers does."""
    clients = ReturningClients()
    for step in range(times):
        clients.answered("warm", step)
        clients.came_back("warm", step + turnaround)
    return clients


def test_a_client_answered_within_the_window_is_expected_until_it_comes_back():
    clients = _returning()
    clients.answered("a", 100.0)
    clients.answered("b", 100.0)
    assert clients.expected(100.0) == 2
    clients.came_back("a", 100.0002)
    assert clients.expected(100.0002) == 1
    clients.came_back("b", 100.0003)
    assert clients.expected(100.0003) == 0


def test_nobody_is_waited_for_before_clients_have_shown_they_come_back():
    clients = ReturningClients()
    clients.answered("a", 10.0)
    assert clients.expected(10.0) == 0


def test_clients_that_think_between_requests_are_never_waited_for():
    clients = _returning()
    for step in range(20):  # each back 50 ms after its answer: the window passes first
        clients.answered("thinker", 200.0 + step)
        clients.expected(200.0 + step + 0.002)
        clients.came_back("thinker", 200.0 + step + 0.05)
    clients.answered("thinker", 300.0)
    assert clients.expected(300.0) == 0


def test_a_client_answered_longer_ago_than_the_window_is_not_waited_for():
    clients = _returning()
    turnaround = clients.turnaround
    clients.answered("idle", 100.0)
    assert clients.expected(100.0 + clients.window() * 1.01) == 0
    clients.came_back("idle", 200.0)  # forgotten already: no error, no turnaround
    assert clients.turnaround == turnaround


def test_the_window_follows_how_fast_clients_come_back_within_bounds():
    clients = ReturningClients()
    assert clients.turnaround == FIRST_TURNAROUND_S
    clients = _returning(0.00002, 100)
    assert clients.window() == MIN_HOLD_S
    clients = _returning(0.0008, 100)
    assert clients.turnaround == pytest.approx(0.0008, rel=0.01)
    assert clients.window() == MAX_HOLD_S
    clients.answered("a", 200.0)
    clients.came_back("a", 200.0 + 2 * SLOW_RETURN_S)  # a client thinking between requests
    assert clients.turnaround == pytest.approx(0.0008, rel=0.01)


def test_answering_the_same_connection_again_keeps_one_entry_at_its_latest_time():
    clients = _returning()
    clients.answered("a", 100.0)
    clients.answered("b", 100.0004)
    clients.answered("a", 100.0008)
    assert clients.expected(100.0008) == 2
    assert clients.expected(100.0004 + clients.window() + 1e-6) == 1  # b has aged out, a not
