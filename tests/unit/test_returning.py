"""The loop's memory of clients answered lately (``ops/returning.py``)."""
import pytest

from model_service.ops.returning import (FIRST_TURNAROUND_S, MAX_HOLD_S, MIN_HOLD_S,
                                         SLOW_RETURN_S, ReturningClients)


def test_a_client_answered_within_the_window_is_expected_until_it_comes_back():
    clients = ReturningClients()
    clients.answered("a", 10.0)
    clients.answered("b", 10.0)
    assert clients.expected(10.0) == 2
    clients.came_back("a", 10.0002)
    assert clients.expected(10.0002) == 1
    clients.came_back("b", 10.0003)
    assert clients.expected(10.0003) == 0


def test_a_client_answered_longer_ago_than_the_window_is_not_waited_for():
    clients = ReturningClients()
    clients.answered("idle", 10.0)
    assert clients.expected(10.0 + clients.window() * 1.01) == 0
    clients.came_back("idle", 20.0)  # forgotten already: no error, no turnaround
    assert clients.turnaround == FIRST_TURNAROUND_S


def test_the_window_follows_how_fast_clients_come_back_within_bounds():
    clients = ReturningClients()
    for step in range(100):
        clients.answered("a", step)
        clients.came_back("a", step + 0.00002)
    assert clients.window() == MIN_HOLD_S
    for step in range(100):
        clients.answered("a", step)
        clients.came_back("a", step + 0.0008)
    assert clients.turnaround == pytest.approx(0.0008, rel=0.01)
    assert clients.window() == MAX_HOLD_S
    clients.answered("a", 200.0)
    clients.came_back("a", 200.0 + 2 * SLOW_RETURN_S)  # a client thinking between requests
    assert clients.turnaround == pytest.approx(0.0008, rel=0.01)


def test_answering_the_same_connection_again_keeps_one_entry_at_its_latest_time():
    clients = ReturningClients()
    clients.answered("a", 10.0)
    clients.answered("b", 10.0004)
    clients.answered("a", 10.0008)
    assert clients.expected(10.0008) == 2
    assert clients.expected(10.0004 + clients.window() + 1e-6) == 1  # b has aged out, a not
