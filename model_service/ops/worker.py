"""A gthread worker whose event loop reads each request's head (and a small body) itself.

Gunicorn's threaded worker hands a connection to a pool thread as soon as a byte arrives; the
thread then blocks until the whole request is in. A client that sends half a request and stops
holds that thread for as long as it likes, and about 32 such clients (2 workers x 16 threads)
stopped every probe of the service. Here the worker's event loop reads a request into a buffer
without blocking, under deadlines, and only a complete request reaches a thread:

- the head (request line and headers) must arrive within ``GUNICORN_HEADER_TIMEOUT`` seconds
  (default 10) of the connection's opening, or of a kept-alive connection's next first byte;
- a body with a ``Content-Length`` of at most ``BUFFERED_BODY`` bytes, or a chunked body that
  ends within that many bytes, is read by the loop too, within ``GUNICORN_BODY_TIMEOUT`` seconds
  (default 30) of the end of the head;
- a larger body goes to a thread after its first ``BUFFERED_BODY`` bytes, and every read there
  waits at most the body timeout (a socket timeout), so a stalled sender frees its thread;
- at most ``GUNICORN_MAX_PENDING`` complete requests (default four per thread) wait for a
  thread; the next one is answered 503 with ``Retry-After`` at once, probes and scrapes excepted.

A complete request that is a plain single prediction does not go to a thread at all: the loop
answers it through the application's direct path (``ops/direct.py``), queuing each turn's
predictions for a model to its runner together (held a moment, when they would start a call on
an idle runner, for the clients on their way back: ``ops/returning.py``) and writing one call's
answers together when the runner hands its outcomes back (a small round with nothing else in
flight, a lone client's prediction say, runs a proven-quick model's call on the loop's thread
itself, guarded by a stand-in: ``ops/stand_in.py``). Such a request holds no thread while
its model runs, so it is bounded by its model's limits (``max_queue``, ``timeout_s``) rather
than by ``GUNICORN_MAX_PENDING``.

A client past a deadline gets a 408 problem and the connection is closed. What gunicorn itself
refuses (a request line over its limit: 414, too many or too large headers: 431, a malformed
request: 400) is answered in the same problem shape, with the security headers and a request
id, instead of gunicorn's HTML page. A slow or idle client
thus costs a buffer and a timer, not a thread; open connections per worker are capped by
``worker_connections``. Anything this worker cannot read ahead (TLS, HTTP/2) takes gunicorn's
own path.
"""
from __future__ import annotations

import errno
import logging
import os
import re
import selectors
import socket
import sys
import threading
import time
import uuid
from collections import deque
from functools import partial

import orjson
from gunicorn import util
from gunicorn.http2 import negotiation
from gunicorn.workers.gthread import STOP_KEEPALIVE_LINGER, TConn, ThreadWorker

from ..core.errors import ClientGone, ModelBusy
from .balance import YIELD_S
from .direct import direct_routes
from .listener import stop_new_handshakes
from .returning import ReturningClients
from .security import SECURITY_HEADERS
from .stand_in import LoopStandIn

HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 30.0
BUFFERED_BODY = 1024 * 1024  # bodies up to this size are read by the loop, whatever the pace
MAX_HEAD = 64 * 1024  # past this, gunicorn's parser answers (431 or 400) from a thread
READ_SIZE = 65536
LINGER = 2.0  # seconds a closing connection's late bytes are read and dropped (as gunicorn's)
EXIT_REQUESTS_CUT = 5  # a worker's exit status when its drain ended with requests unanswered
HEARTBEAT_S = 1.0  # the longest between two heartbeats to the master (see ``notify``)
# The most predictions a round may have for its call to run on the loop's thread, when nothing
# else is in flight. Handing a call to the runner's thread and its outcome back costs two thread
# wake-ups; a round of one or a few is what the clients' drifting apart leaves, and paying those
# per call kept the calls small: with a neighbour keeping one core 67% busy, 64 connections got
# 2.3-3.5 requests per call (4,900-5,700 requests/s, 306-370 us of CPU each) against 18.7-21.5
# (8,000-9,900, 143-172 us) run here, and a `make bench` slice without any neighbour fell to 1.6
# per call (4,251 requests/s against 11,958-14,675 in its round's other slices). Run on the
# loop, the call lets the clients' next requests gather while it runs, and the next round is
# whole again. Larger rounds stay on the runner, where the loop answers and reads during the
# call: every round run here cost 64 connections' p99 13.5 against 11.0 ms (medians of six
# interleaved 4 s runs). Four or fewer, without a neighbour: 16 connections 8,667 against 8,146
# requests/s (six 4 s runs), 64 connections 0.95x the requests/s paired by run and a p99 of
# 10.8 against 9.7 ms (six 8 s runs; 11.7 against 11.9 in 4 s runs), two at most no better.
LOOP_ROUND_MOST = 4

_CONTENT_LENGTH = re.compile(rb"^content-length[ \t]*:[ \t]*(\d{1,19})[ \t]*\r?$", re.I | re.M)
_CHUNKED = re.compile(rb"^transfer-encoding[ \t]*:.*chunked", re.I | re.M)
_EXPECT = re.compile(rb"^expect[ \t]*:", re.I | re.M)


class TimedSocket(socket.socket):
    """A client socket that, put in blocking mode, still gives up on a read after a timeout."""

    read_timeout: float | None = None

    def setblocking(self, flag: bool) -> None:
        if flag and self.read_timeout:
            self.settimeout(self.read_timeout)
        else:
            super().setblocking(flag)


def problem_answer(status: int, reason: str, detail: str, retry_after: int | None = None) -> bytes:
    """A whole HTTP answer in the API's problem shape, with the service's headers and a request
    id: for what the server itself refuses before the application sees a request."""
    request_id = uuid.uuid4().hex
    body = orjson.dumps({"type": "about:blank", "title": reason, "status": status,
                         "detail": detail or reason, "request_id": request_id})
    head = [f"HTTP/1.1 {status} {reason}", "Connection: close",
            "Content-Type: application/problem+json", f"Content-Length: {len(body)}",
            f"X-Request-ID: {request_id}", "Cache-Control: no-store",
            *([f"Retry-After: {retry_after}"] if retry_after else []),
            *(f"{name}: {value}" for name, value in SECURITY_HEADERS)]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def request_timeout_answer() -> bytes:
    """The 408 sent to a client too slow with its request."""
    return problem_answer(408, "Request Timeout",
                          "The request did not arrive in time; the connection is closed.")


def write_problem(sock, status_int: int, reason: str, mesg: str) -> None:
    """Gunicorn's ``util.write_error`` (its own 400, 414, 431... answers), as a problem."""
    util.write_nonblock(sock, problem_answer(status_int, reason, mesg))


class GuardedThreadWorker(ThreadWorker):
    """Gunicorn's gthread worker with request reading in the event loop (see the module)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = _setting("GUNICORN_HEADER_TIMEOUT", HEADER_TIMEOUT)
        self.body_timeout = _setting("GUNICORN_BODY_TIMEOUT", BODY_TIMEOUT)
        self.max_pending = int(_setting("GUNICORN_MAX_PENDING", 4 * self.cfg.threads))
        self.reading: deque[TConn] = deque()  # connections whose request is being read
        # Requests handed to the pool, and those a thread has taken up: the difference waits.
        self.dispatched = 0
        self.taken = 0
        self.taken_lock = threading.Lock()
        self.direct = None  # the app's direct path (``ops/direct.py``), once it is loaded
        self.direct_round: dict = {}  # runner -> connections whose call this round queues
        self.direct_waiting: dict = {}  # ticket -> connection waiting for its outcome
        self.returning = ReturningClients()  # answered lately: a round may wait for them
        # Runs a lone request's quick call on the loop's thread, guarded (``ops/stand_in.py``).
        self.stand_in = LoopStandIn(self._turn, self._stop_from_stand_in,
                                    lambda: self.method_queue.defer(_nothing))
        self.next_heartbeat = 0.0
        self.round_held_until = 0.0
        # Answered with "Connection: close", reading until the client closes: conn -> deadline.
        self.closing: dict[TConn, float] = {}
        # Set before the fork by gunicorn_conf.pre_fork: the server's shared connection counts.
        self.connection_counts = getattr(self, "connection_counts", None)
        self.balance_slot = getattr(self, "balance_slot", None)
        self.accept_paused_until = 0.0  # leaving new connections to less loaded workers
        self.yielding_since: float | None = None

    def notify(self) -> None:
        """Gunicorn's heartbeat, at most once per ``HEARTBEAT_S`` (a quarter of the master's
        patience, if that is shorter): the master stops a worker silent for its ``timeout``.
        gthread beats on every turn of its loop, and each beat is a system call setting a file's
        times: 45 us of every request at one connection (py-spy), for a master that looks at
        it once a second."""
        now = time.monotonic()
        if now >= self.next_heartbeat:
            self.next_heartbeat = now + min(HEARTBEAT_S, self.timeout / 4)
            super().notify()

    def load_wsgi(self) -> None:
        super().load_wsgi()
        self.direct = direct_routes(self.wsgi)

    def init_process(self) -> None:
        # Gunicorn answers what it cannot parse (400, 414, 431...) with an HTML page through
        # this one function; in this worker process it answers in the API's problem shape.
        util.write_error = write_problem
        super().init_process()

    def _guarded(self, client) -> bool:
        return not self.cfg.is_ssl and not negotiation.prior_knowledge_allowed(self.cfg, client)

    # --- New and kept-alive connections: read in the loop --------------------------------

    def accept(self, listener) -> bool:
        """Accept one connection; return whether there was one.

        A worker holding more connections than its share first leaves the connection to the
        others for a moment (``ops/balance.py``), and takes it if none has.
        """
        counts = self.connection_counts
        if counts is not None and self.alive and self.balance_slot is not None \
                and self.yielding_since is None \
                and counts.crowded(self.balance_slot, self.nr_conns):
            self.yielding_since = time.monotonic()
            self.accept_paused_until = self.yielding_since + YIELD_S
            super().set_accept_enabled(False)
            return False
        self.yielding_since = None
        try:
            client_sock, client_addr = listener.accept()
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return False
        self.nr_conns += 1
        if counts is not None and self.balance_slot is not None:
            counts.publish(self.balance_slot, self.nr_conns)
        if not self._guarded(client_addr):
            client_sock.setblocking(True)
            self.enqueue_req(TConn(self.cfg, client_sock, client_addr, listener.getsockname()))
            return True
        timed = TimedSocket(client_sock.family, client_sock.type, fileno=client_sock.detach())
        timed.read_timeout = self.body_timeout
        conn = TConn(self.cfg, timed, client_addr, listener.getsockname())  # non-blocking
        self._start_reading(conn, time.monotonic() + self.header_timeout)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))
        return True

    def on_client_socket_readable(self, conn, client) -> None:
        """A kept-alive connection sent something: its next request, read in the loop."""
        if not isinstance(conn.sock, TimedSocket):
            super().on_client_socket_readable(conn, client)
            return
        self.keepalived_conns.remove(conn)
        now = time.monotonic()
        self.returning.came_back(conn, now)
        self._start_reading(conn, now + self.header_timeout)
        self.poller.modify(client, selectors.EVENT_READ, partial(self._on_readable, conn))
        self._on_readable(conn, client)

    def _start_reading(self, conn: TConn, deadline: float) -> None:
        conn.buffered = bytearray()
        conn.head_end = -1
        conn.timeout = deadline
        self.reading.append(conn)

    def _on_readable(self, conn: TConn, client) -> None:
        try:
            data = conn.sock.recv(READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client stopped sending before its request was complete
            if conn.head_end < 0:
                self._drop(conn)  # no request to answer
            else:
                self._dispatch(conn)  # the parser finds the body cut short and says so
            return
        buffered = conn.buffered
        buffered += data
        if conn.head_end < 0:
            end = buffered.find(b"\r\n\r\n", max(0, len(buffered) - len(data) - 3))
            if end < 0:
                if len(buffered) > MAX_HEAD:
                    self._dispatch(conn)
                return
            conn.head_end = end + 4
            conn.timeout = time.monotonic() + self.body_timeout
        if self._complete(conn):
            self._dispatch(conn)

    def _complete(self, conn: TConn) -> bool:
        """Whether the buffered bytes hold the request's body (or as much as the loop keeps)."""
        head = bytes(conn.buffered[:conn.head_end])
        body = len(conn.buffered) - conn.head_end
        if _EXPECT.search(head):
            return True  # the client waits for "100 Continue" before sending its body
        if _CHUNKED.search(head):
            return body >= BUFFERED_BODY or conn.buffered.endswith(b"0\r\n\r\n")
        match = _CONTENT_LENGTH.search(head)
        length = int(match.group(1)) if match else 0
        return body >= min(length, BUFFERED_BODY)

    def _dispatch(self, conn: TConn) -> None:
        """Hand the request read so far to a thread, with its bytes in the parser's buffer.

        When ``max_pending`` requests already wait for a thread, answer 503 at once instead
        (the probes and metrics excepted): a queue nobody bounds only turns overload into
        latency for everyone.
        """
        if self.direct is not None and self.alive and self._take_direct(conn):
            return
        if self.dispatched - self.taken >= self.max_pending and not _operations(conn.buffered):
            self._drop(conn, problem_answer(
                503, "Service Unavailable", f"The server has {self.max_pending} requests "
                "waiting for a thread already; retry in a second.", retry_after=1))
            return
        self.reading.remove(conn)
        self.poller.unregister(conn.sock)
        conn.init()  # the parser, for a new connection (no I/O for plain HTTP/1)
        conn.parser.unreader.unread(bytes(conn.buffered))
        conn.data_ready = True
        conn.counted = True
        del conn.buffered
        self.dispatched += 1
        self.enqueue_req(conn)

    def handle(self, conn):
        if getattr(conn, "counted", False):
            conn.counted = False
            with self.taken_lock:
                self.taken += 1
        return super().handle(conn)

    def _drop(self, conn: TConn, answer: bytes | None = None) -> None:
        self.reading.remove(conn)
        try:
            self.poller.unregister(conn.sock)
        except Exception:  # not registered, or the poller is closed (the worker is stopping)
            pass
        if answer is not None:
            try:
                conn.sock.send(answer)  # best effort: the socket is non-blocking
            except OSError:
                pass
        self.nr_conns -= 1
        conn.close()

    def murder_reading(self) -> None:
        """Answer 408 and close the connections whose request is late."""
        now = time.monotonic()
        late = [conn for conn in self.reading if conn.timeout <= now]
        for conn in late:
            self._drop(conn, request_timeout_answer())

    def murder_pending(self) -> None:  # called by the loop at least once a second
        super().murder_pending()
        self.murder_reading()
        if self.closing:
            self.murder_closing()

    # --- The direct path: plain single predictions answered by the loop (``ops/direct.py``) --

    def _take_direct(self, conn: TConn) -> bool:
        """Take a plain prediction into this round's model calls; False leaves it to a thread."""
        head = parse_plain_head(conn.buffered, conn.head_end)
        if head is None:
            return False
        method, path, headers = head
        body = bytes(conn.buffered[conn.head_end:])
        length = headers.get("content-length", "")
        if not length.isdigit() or int(length) != len(body) or _UNPLAIN.intersection(headers):
            return False
        client = conn.client[0] if isinstance(conn.client, tuple) else None
        try:
            call = self.direct.prepare(method, path, headers, body, client)
        except Exception:  # a bug must never stop the loop: the ordinary path answers
            self.log.exception("The direct path failed to read a request; Flask answers it")
            return False
        if call is None:
            return False
        shim = _RequestShim(method, path, headers, conn)
        self.cfg.pre_request(self, shim)  # e.g. keep-alive balancing (gunicorn_conf.py)
        self.nr += 1
        if self.nr >= self.max_requests:
            if self.alive:
                self.log.info("Autorestarting worker after current request.")
                self.alive = False
        call.keep_alive = not (shim.must_close or not self.alive or not self.cfg.keepalive
                               or "close" in headers.get("connection", "").lower()
                               or len(self.keepalived_conns) >= self.max_keepalived)
        self.reading.remove(conn)
        # Watched while its call runs: a client that leaves gives its place in the queue up.
        self.poller.modify(conn.sock, selectors.EVENT_READ, partial(self._on_direct_readable, conn))
        conn.watched = True
        conn.direct_call = call
        del conn.buffered
        self.direct.begin()
        self.direct_round.setdefault(call.hosted.runner, []).append(conn)
        return True

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        if self.direct_waiting:
            nearest = min(ticket.deadline for ticket in self.direct_waiting)
            timeout = max(0.0, min(timeout, nearest - time.monotonic()))
        if self.accept_paused_until:
            now = time.monotonic()
            if now >= self.accept_paused_until:
                self.accept_paused_until = 0.0  # the loop turns accepting back on
            else:
                timeout = min(timeout, self.accept_paused_until - now)
        if self.round_held_until:
            timeout = max(0.0, min(timeout, self.round_held_until - time.monotonic()))
        if self.connection_counts is not None and self.balance_slot is not None:
            self.connection_counts.publish(self.balance_slot, self.nr_conns)
        self._dispatch_events(timeout)
        if self.direct_round and not self._hold_round():
            self._submit_direct_round()
        if self.direct_waiting:
            self._expire_direct()

    def _dispatch_events(self, timeout: float) -> None:
        """gthread's dispatch, where a callback that fails costs its connection, not the worker.

        One turn's events are gathered before any callback runs, so a callback may find its
        connection already answered or closed by an earlier one (each callback checks); should
        one still raise, the error is logged and that socket dropped, and the loop goes on.
        """
        try:
            events = self.poller.select(timeout)
        except OSError as error:
            if error.errno != errno.EINTR:
                raise
            return
        for key, _ in events:
            try:
                key.data(key.fileobj)
            except Exception:
                self.log.exception("A connection's event failed; the connection is dropped")
                self._discard(key.fileobj)

    def _discard(self, fileobj) -> None:
        if fileobj in self.sockets or fileobj == self.method_queue.fileno():
            return  # the listener or the loop's own queue: never closed here
        try:
            self.poller.unregister(fileobj)
        except Exception:
            pass
        try:
            fileobj.close()
        except Exception:
            pass

    def _hold_round(self) -> bool:
        """Whether to keep this round's predictions a moment for the clients on their way back
        (``ops/returning.py``): only when the round would start a call on an idle runner."""
        now = time.monotonic()
        if self.round_held_until:
            if now < self.round_held_until and self.returning.expected(now):
                return True
            self.round_held_until = 0.0
            return False
        if not self.alive or not all(runner.idle() for runner in self.direct_round) \
                or not self.returning.expected(now):
            return False
        self.round_held_until = now + self.returning.window()
        return True

    def _submit_direct_round(self) -> None:
        """Queue the round's calls, each model's together, so that one call can serve them."""
        round_, self.direct_round = self.direct_round, {}
        alone = len(round_) == 1 and self._may_run_on_loop()
        for runner, conns in round_.items():
            here = alone and len(conns) <= LOOP_ROUND_MOST and runner.reserve_for_caller()
            tickets = runner.submit_many([conn.direct_call.item for conn in conns],
                                         self._on_direct_outcome)
            for conn, ticket in zip(conns, tickets):
                if isinstance(ticket, ModelBusy):
                    self._answer_direct(conn, refused=ticket)
                else:
                    self.direct_waiting[ticket] = conn
            if here:
                outcomes = self.stand_in.run(runner)
                if outcomes is not None:
                    self._direct_outcomes(outcomes)

    def _may_run_on_loop(self) -> bool:
        """Whether a round's call may run on the loop's thread (``ops/stand_in.py``): when
        nothing else is in flight and the round is small (``LOOP_ROUND_MOST``, checked by the
        caller); otherwise the runner's thread runs it while the loop answers and reads on."""
        return self.alive and not self.direct_waiting and self.stand_in.available()

    def _on_direct_outcome(self, tickets) -> None:  # where the call ran, once per call
        if not self.stand_in.claim(tickets):  # else the loop's thread ran it and answers it
            self.method_queue.defer(self._direct_outcomes, tickets)

    def _direct_outcomes(self, tickets) -> None:
        """Answer one call's requests together (see ``ModelRunner.submit_many``), and only then
        write their access lines and metrics, so that no answer waits for the others' lines."""
        answered: list = []
        try:
            for ticket in tickets:
                conn = self.direct_waiting.pop(ticket, None)
                if conn is not None:  # else answered already (timed out, or its client left)
                    self._answer_direct(conn, ticket.outcome, ticket.call, answered=answered)
        finally:
            for call in answered:
                self._record_direct(call)

    def _expire_direct(self) -> None:
        now = time.monotonic()
        for ticket, conn in list(self.direct_waiting.items()):
            if ticket.deadline <= now:
                error = conn.direct_call.hosted.runner.give_up(ticket)
                if error is not None:  # else its outcome is in, and on its way here
                    del self.direct_waiting[ticket]
                    self._answer_direct(conn, refused=error)

    def _on_direct_readable(self, conn: TConn, client) -> None:
        """The client sent more (its next request: read after this answer) or left."""
        if not conn.watched or not hasattr(conn, "direct_call"):
            return  # an event of this turn, for a connection answered earlier in it
        try:
            data = conn.sock.recv(1, socket.MSG_PEEK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        self.poller.unregister(conn.sock)
        conn.watched = False
        if data:
            return
        for ticket, waiting in list(self.direct_waiting.items()):
            if waiting is conn:
                error = conn.direct_call.hosted.runner.give_up(ticket, gone=True)
                if error is not None:
                    del self.direct_waiting[ticket]
                    self._answer_direct(conn, refused=error)
                return

    def _answer_direct(self, conn: TConn, outcome=None, call_stats=None, refused=None,
                       answered: list | None = None) -> None:
        """Send ``conn``'s answer, then record it (access line, metrics): at once, or, when
        ``answered`` is given, by the caller once the other answers are out too."""
        call = conn.direct_call
        del conn.direct_call
        try:
            answer = self.direct.answer(call, outcome, call_stats, refused)
        except Exception:  # a bug must never stop the loop: this request alone is cut
            self.log.exception("The direct path failed to answer a request")
            self._close_direct(conn)
            self._record_direct(call)
            return
        try:
            self._send_direct(conn, call, answer, refused)
        finally:
            if answered is None:
                self._record_direct(call)
            else:
                answered.append(call)

    def _record_direct(self, call) -> None:
        try:
            self.direct.record(call)
        except Exception:  # a bug must never stop the loop
            self.log.exception("The direct path failed to record a request")

    def _send_direct(self, conn: TConn, call, answer: bytes, refused) -> None:
        if isinstance(refused, ClientGone):
            self._close_direct(conn)
            return
        try:
            sent = conn.sock.send(answer)
        except OSError:
            self._close_direct(conn)
            return
        if sent < len(answer):  # a full socket buffer: a thread waits for the client
            self.tpool.submit(self._send_rest, conn, answer[sent:], call.keep_alive)
            return
        self._after_direct(conn, call.keep_alive)

    def _send_rest(self, conn: TConn, rest: bytes, keep_alive: bool) -> None:
        try:
            conn.sock.settimeout(self.body_timeout)
            conn.sock.sendall(rest)
            conn.sock.setblocking(False)
        except OSError:
            keep_alive = False
        self.method_queue.defer(self._after_direct, conn, keep_alive)

    def _after_direct(self, conn: TConn, keep_alive: bool) -> None:
        """Keep the connection for its next request, as gthread does after a thread's answer."""
        if not keep_alive or not self.alive:
            self._close_direct(conn, graceful=True)
            return
        conn.set_timeout()
        self.keepalived_conns.append(conn)
        self.returning.answered(conn, time.monotonic())
        callback = partial(self.on_client_socket_readable, conn)
        if conn.watched:
            self.poller.modify(conn.sock, selectors.EVENT_READ, callback)
        else:
            self.poller.register(conn.sock, selectors.EVENT_READ, callback)
        conn.watched = False

    def _close_direct(self, conn: TConn, graceful: bool = False) -> None:
        """Close after an answer; ``graceful``: as RFC 9112 section 9.6 asks, without waiting.

        Closing a socket with unread bytes makes the kernel reset the connection, which can cut
        the answer just sent. Gunicorn's graceful close waits for the client in the calling
        thread (up to 2 s); here the write side is shut at once and the loop reads and drops
        what the client still sends until it closes, or ``LINGER`` seconds have passed.
        """
        if conn.watched:
            try:
                self.poller.unregister(conn.sock)
            except Exception:  # the poller is closed (the worker is stopping)
                pass
            conn.watched = False
        self.nr_conns -= 1
        if graceful and self.alive:
            try:
                conn.sock.shutdown(socket.SHUT_WR)
                self.poller.register(conn.sock, selectors.EVENT_READ,
                                     partial(self._drain_closing, conn))
            except Exception:
                conn.close()
                return
            self.closing[conn] = time.monotonic() + LINGER
            return
        conn.close()

    def _drain_closing(self, conn: TConn, client) -> None:
        if conn not in self.closing:
            return  # closed earlier in this turn
        try:
            if conn.sock.recv(READ_SIZE):
                return  # more to drop; the client closes once it has read the answer
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            pass
        self._closed(conn)

    def _closed(self, conn: TConn) -> None:
        del self.closing[conn]
        try:
            self.poller.unregister(conn.sock)
        except Exception:
            pass
        conn.close()

    def murder_closing(self) -> None:
        """Close the lingering connections whose client has not closed in time."""
        now = time.monotonic()
        for conn in [conn for conn, deadline in self.closing.items() if deadline <= now]:
            self._closed(conn)

    # --- Stopping ------------------------------------------------------------------------

    def set_accept_enabled(self, enabled: bool) -> None:
        """On a stop, take in what the kernel already accepted, then close the listener.

        Gunicorn's threaded worker only stops watching its listening socket and closes it after
        the drain: the kernel meanwhile completes new connections into its backlog, and closing
        the socket then resets them after their clients have sent a request. Closed at once,
        the port refuses new connections (a client or balancer retries elsewhere at no cost),
        and every connection already accepted is served; new handshakes are stopped in the
        kernel first (``ops/listener.py``), so none lands between the last accept and the close.
        """
        if enabled and self.accept_paused_until > time.monotonic():
            return  # leaving new connections to less loaded workers for a moment
        if enabled or self.alive or getattr(self, "_listeners_closed", False):
            super().set_accept_enabled(enabled)
            return
        stop_new_handshakes(self.sockets)
        for listener in self.sockets:
            listener.setblocking(False)
            while self.accept(listener):
                pass
        super().set_accept_enabled(False)
        for listener in self.sockets:
            listener.close()
        self._listeners_closed = True

    def run(self) -> None:
        """gthread's loop (``ThreadWorker.run``), in turns that the stand-in can take
        (``ops/stand_in.py``), then its drain."""
        self.poller.register(self.method_queue.fileno(), selectors.EVENT_READ,
                             self.method_queue.run_callbacks)
        self.set_accept_enabled(True)
        self.stand_in.start()
        try:
            while self.alive and self._turn():
                pass
            self._drain()
        finally:
            self._close_leftovers()
        if self._requests_cut():
            sys.exit(EXIT_REQUESTS_CUT)

    def _turn(self) -> bool:
        """One turn of the loop; False once the worker should stop."""
        self.notify()
        can_accept = self.nr_conns < self.worker_connections
        if can_accept != self._accepting:
            self.set_accept_enabled(can_accept)
        self.wait_for_and_dispatch_events(timeout=1.0)
        if not self.is_parent_alive():
            return False
        self.murder_keepalived()
        self.murder_pending()
        return self.alive

    def _drain(self) -> None:
        """Serve the connections in flight until they are answered or ``graceful_timeout`` has
        passed; kept-alive ones stay open ``STOP_KEEPALIVE_LINGER`` at most (as gthread)."""
        self.set_accept_enabled(False)
        self._cap_keepalive(time.monotonic() + STOP_KEEPALIVE_LINGER)
        graceful_timeout = time.monotonic() + self.cfg.graceful_timeout
        while self.nr_conns > 0 and time.monotonic() <= graceful_timeout:
            self.notify()
            timeout = 1.0
            if self.keepalived_conns:
                timeout = min(timeout, max(self.keepalived_conns[0].timeout - time.monotonic(),
                                           0.0))
            self.wait_for_and_dispatch_events(timeout=timeout)
            self.murder_keepalived()
            self.murder_pending()
        self.murder_keepalived(force=True)
        self.tpool.shutdown(wait=False)
        self.poller.close()
        self.method_queue.close()

    def _close_leftovers(self) -> None:
        for conn in list(self.reading):
            self._drop(conn)
        for conn in list(self.closing):
            self._closed(conn)

    def _requests_cut(self) -> bool:
        """gthread's drain ends at graceful_timeout with connections still open: their requests
        are cut. Say so in the log and (the caller) in the worker's exit status for the master."""
        if self.nr_conns <= 0:
            return False
        self.log.error("Graceful timeout: %d connection(s) cut before their answer "
                       "(pid %s)", self.nr_conns, self.pid)
        flag = getattr(self.app, "requests_cut", None)
        if flag is not None:
            flag.set()
        return True

    def _stop_from_stand_in(self) -> None:
        """Drain and end the process from the stand-in's thread: the loop's own thread is still
        in a model's call, and may never return from it."""
        code = 0
        try:
            self._drain()
            self._close_leftovers()
            code = EXIT_REQUESTS_CUT if self._requests_cut() else 0
        except BaseException:
            self.log.exception("The stand-in's drain failed")
            code = 1
        finally:
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)


def _nothing() -> None:
    """A callback that only wakes the loop."""


class _RequestShim:
    """What gunicorn's ``pre_request`` hook reads of a request, for one on the direct path."""

    def __init__(self, method: str, path: str, headers: dict, conn: TConn) -> None:
        self.method, self.path, self.uri = method, path, path
        self.headers = [(name.upper(), value) for name, value in headers.items()]
        self.unreader = conn  # one per connection, as gunicorn's
        self.must_close = False


_REQUEST_LINE = re.compile(rb"^([A-Z]+) (/[!-~]*) HTTP/1\.1$")
_HEADER_NAME = re.compile(rb"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_HEADER_VALUE = re.compile(rb"^[\t\x20-\x7e\x80-\xff]*$")
# Requests the direct path leaves to gunicorn's parser and Flask, whatever else they say.
_UNPLAIN = frozenset({"transfer-encoding", "expect", "upgrade", "http2-settings"})


def parse_plain_head(buffered: bytearray, head_end: int) -> tuple[str, str, dict] | None:
    """Method, path and headers (names lower-cased) of a plainly well-formed HTTP/1.1 head.

    None for anything gunicorn's parser should judge instead (other versions, odd bytes, a
    header twice, folded lines): the direct path only takes what is unambiguous.
    """
    lines = bytes(buffered[:head_end - 4]).split(b"\r\n")
    match = _REQUEST_LINE.match(lines[0])
    if match is None:
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not _HEADER_NAME.match(name) or not _HEADER_VALUE.match(value):
            return None
        key = name.decode("ascii").lower()
        if key in headers:
            return None
        headers[key] = value.strip(b" \t").decode("latin-1")
    return match.group(1).decode("ascii"), match.group(2).decode("ascii"), headers


_OPERATIONS = re.compile(rb"^[A-Z]+ /(healthz|readyz|metrics)[ ?]")


def _operations(buffered: bytearray) -> bool:
    """Whether the request is a probe or a scrape: those are never refused for load."""
    return _OPERATIONS.match(buffered) is not None


def _setting(variable: str, default: float) -> float:
    """Seconds from the environment variable, else ``default`` (also for a value not a number)."""
    text = os.environ.get(variable)
    try:
        value = float(text) if text else default
    except ValueError:
        return default
    return value if value > 0 else default
