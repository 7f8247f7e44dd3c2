"""The client's connection, as far as a WSGI application can see it."""
from __future__ import annotations

import select
import socket
from typing import Callable


def client_gone(environ: dict) -> Callable[[], bool] | None:
    """A check that tells whether the client has closed its connection; ``None`` if unknowable.

    Gunicorn hands the connection's socket to the application (``gunicorn.socket``). A closed
    connection reads as end-of-file: readable, with nothing to read. A client that already sent
    its next request (pipelining) is not gone. The check never blocks.
    """
    sock = environ.get("gunicorn.socket")
    if sock is None:
        return None

    def gone() -> bool:
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            if not readable:
                return False
            return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            return False
        except (OSError, ValueError):  # reset, or closed under us
            return True

    return gone
