"""Stopping new handshakes on a listening socket: queued clients kept, late ones refused."""
from __future__ import annotations

import socket
import sys
import threading

import pytest

from model_service.ops.listener import stop_new_handshakes

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="a Linux socket filter")


def test_a_queued_client_is_kept_and_a_later_one_is_refused_once_the_port_closes():
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    queued = socket.create_connection(("127.0.0.1", port))
    stop_new_handshakes([listener])
    listener.setblocking(False)
    accepted, _ = listener.accept()
    outcome: list[str] = []

    def arrive_late():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
            outcome.append("connected")
        except ConnectionRefusedError:
            outcome.append("refused")

    late = threading.Thread(target=arrive_late)
    late.start()
    late.join(0.3)  # its SYN is dropped: not queued, so nothing for the listener to take in
    with pytest.raises(BlockingIOError):
        listener.accept()
    listener.close()
    late.join(5)
    assert outcome == ["refused"]
    queued.sendall(b"ping")
    assert accepted.recv(4) == b"ping"
    for sock in (queued, accepted):
        sock.close()


def test_a_socket_that_is_not_tcp_is_left_alone():
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stop_new_handshakes([unix])  # nothing to filter, nothing raised
    unix.close()
