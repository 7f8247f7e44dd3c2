"""Closing a listening socket without resetting the clients the kernel has just accepted.

Linux completes TCP handshakes into a listening socket's queue on its own; closing the socket
resets every connection still queued, after its client has sent a request. Taking the queue in
and then closing leaves a window (the last ``accept`` and the ``close``, milliseconds when
other threads hold the GIL) in which a new client is queued and then reset. A socket filter
that drops new SYNs shuts that window in the kernel: a handshake already under way completes
into the queue, which is then taken in, and a client arriving later retries its SYN after a
second and finds the port closed (refused, which clients and balancers retry elsewhere).
"""
from __future__ import annotations

import ctypes
import socket
import struct
import sys
import time

_SO_ATTACH_FILTER = 26  # <asm-generic/socket.h>
_HANDSHAKES_IN_FLIGHT_S = 0.005  # a loopback or LAN handshake completes in far less

# Classic BPF, run on each segment reaching the listening socket (data at the TCP header):
#   ldb [13]; jset #SYN, drop, keep; drop: ret #0; keep: ret #-1
_DROP_NEW_SYNS = (
    (0x30, 0, 0, 13),           # BPF_LD | BPF_B | BPF_ABS: the flags byte
    (0x45, 0, 1, 0x02),         # BPF_JMP | BPF_JSET | BPF_K: SYN set?
    (0x06, 0, 0, 0),            # BPF_RET | BPF_K: drop
    (0x06, 0, 0, 0xFFFFFFFF),   # BPF_RET | BPF_K: keep the whole segment
)


def stop_new_handshakes(listeners) -> None:
    """Drop new SYNs on each listener, then give the handshakes under way time to complete
    into the queue, which the caller then takes in before closing (Linux; elsewhere nothing)."""
    if any([_drop_new_syns(listener) for listener in listeners]):
        time.sleep(_HANDSHAKES_IN_FLIGHT_S)


def _drop_new_syns(listener: socket.socket) -> bool:
    """Attach the filter; return whether the kernel took it."""
    if sys.platform != "linux" or listener.family not in (socket.AF_INET, socket.AF_INET6):
        return False
    program = (ctypes.c_ubyte * (8 * len(_DROP_NEW_SYNS))).from_buffer_copy(
        b"".join(struct.pack("=HBBI", *instruction) for instruction in _DROP_NEW_SYNS))
    fprog = struct.pack("@HP", len(_DROP_NEW_SYNS), ctypes.addressof(program))
    try:
        listener.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_FILTER, fprog)
    except OSError:
        return False
    return True
