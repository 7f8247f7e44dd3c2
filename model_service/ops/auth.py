"""API keys: when keys are configured, every route but the probes, metrics and static files needs one.

Keys come from ``MODEL_SERVICE_API_KEYS`` (comma-separated; the ``API_KEYS`` setting). A client
sends ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``. A browser signs in once on
``/signin``; the signed session then holds a SHA-256 fingerprint of the key, never the key itself,
so the cookie reveals nothing and rotating the keys signs everybody out. Keys are compared as
digests with ``hmac.compare_digest``, and every configured key is compared, so neither the
time taken nor its length tells an attacker anything. A client that sends ten wrong keys within
a minute gets 429 with ``Retry-After`` until the oldest of them is a minute old
(``FailedAttempts``). With no keys, everything stays open.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import threading
import time
from collections import deque
from typing import Any
from urllib.parse import urlsplit

from flask import (Blueprint, Flask, current_app, redirect, render_template, request, session,
                   url_for)
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired

from ..protocols.errors import register_error_handlers, render_error, wants_json
from ..web.errors import html_error
from .health import OPERATIONS_PATHS

EXTENSION_KEY = "api_keys"
ATTEMPTS_KEY = "api_key_failures"
SESSION_KEY = "api_key_sha256"
REALM = "model-service"
# Open whatever the keys: probes and scrapes come from the orchestrator, which holds no key.
OPEN_PATHS = frozenset(OPERATIONS_PATHS)
OPEN_ENDPOINTS = frozenset({"static", "auth.signin", "auth.signout"})
OPEN_PATHS_KEY = "open_paths"  # more open paths, added by the protocols (allow_anonymous)

bp = Blueprint("auth", __name__)
register_error_handlers(bp, html_error)  # sign-in pages: HTML errors


def parse_keys(value: Any) -> tuple[str, ...]:
    """Read keys from a comma-separated string or a list; blanks are dropped."""
    if not value:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(key.strip() for key in items if key and key.strip())


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


class ApiKeys:
    """The configured keys of one application, kept as digests."""

    def __init__(self, keys: tuple[str, ...]) -> None:
        self._digests = tuple(_digest(key) for key in keys)

    @property
    def enabled(self) -> bool:
        return bool(self._digests)

    def _matches_digest(self, candidate: bytes) -> bool:
        matched = False
        for digest in self._digests:  # no early exit: the time taken does not say which key
            matched |= hmac.compare_digest(candidate, digest)
        return matched

    def matches(self, key: str | None) -> bool:
        return bool(key) and self._matches_digest(_digest(key))

    def matches_fingerprint(self, fingerprint: str | None) -> bool:
        try:
            return self._matches_digest(bytes.fromhex(fingerprint or ""))
        except ValueError:
            return False


class FailedAttempts:
    """Wrong API keys per client address in a sliding window, to slow down guessing.

    Past ``limit`` failures within ``window`` seconds, a client gets 429 with ``Retry-After``
    (until its oldest failure leaves the window) without its key being looked at, good or bad.
    Kept per server process (a client spread over several workers gets ``limit`` tries in
    each), for at most ``max_clients`` addresses (the stalest forgotten first).
    """

    def __init__(self, limit: int = 10, window: float = 60.0, max_clients: int = 10_000) -> None:
        self.limit, self.window, self.max_clients = limit, window, max_clients
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int | None:
        """Seconds this client must wait before trying a key again, or ``None``."""
        now = time.monotonic()
        with self._lock:
            failures = self._failures.get(client)
            if not failures:
                return None
            while failures and failures[0] <= now - self.window:
                failures.popleft()
            if len(failures) < self.limit:
                return None
            return max(1, math.ceil(failures[0] + self.window - now))

    def record(self, client: str) -> None:
        with self._lock:
            failures = self._failures.pop(client, None) or deque(maxlen=self.limit)
            failures.append(time.monotonic())
            self._failures[client] = failures  # most recent last: the first is the stalest
            while len(self._failures) > self.max_clients:
                del self._failures[next(iter(self._failures))]


def get_api_keys(app: Flask) -> ApiKeys:
    return app.extensions[EXTENSION_KEY]


def presented_key() -> str | None:
    """The key sent with the request, from ``Authorization: Bearer`` or ``X-API-Key``."""
    return key_from(request.headers.get("Authorization", ""), request.headers.get("X-API-Key"))


def key_from(authorization: str, api_key: str | None) -> str | None:
    """The key of a request with these two headers' values (Bearer first), or None."""
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return api_key or None


def allow_anonymous(app: Flask, paths) -> None:
    """Leave ``paths`` open whatever the keys: a protocol's own probes, say."""
    app.extensions.setdefault(OPEN_PATHS_KEY, set()).update(paths)


def _open_paths(app: Flask) -> frozenset | set:
    return OPEN_PATHS | app.extensions.get(OPEN_PATHS_KEY, set())


def _is_open() -> bool:
    endpoint = request.endpoint or ""
    return (request.path in OPEN_PATHS or endpoint in OPEN_ENDPOINTS
            or endpoint.endswith(".static")  # a blueprint's static files
            or request.path in current_app.extensions.get(OPEN_PATHS_KEY, ()))


def _unauthorized(detail: str):
    if wants_json():
        return render_error(401, detail, headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'})
    return redirect(url_for("auth.signin", next=request.full_path.rstrip("?")))


def check_request():
    """Refuse a request without a valid key (a ``before_request`` hook)."""
    keys = get_api_keys(current_app)
    if not keys.enabled or _is_open():
        return None
    key = presented_key()
    if key is not None:
        attempts: FailedAttempts = current_app.extensions[ATTEMPTS_KEY]
        client = request.remote_addr or "-"
        wait = attempts.retry_after(client)
        if wait is not None:
            return render_error(429, f"Too many wrong API keys from this client; retry in "
                                     f"{wait} s.", headers={"Retry-After": str(wait)})
        if keys.matches(key):
            return None
        attempts.record(client)
        return _unauthorized("The API key is not valid.")
    if keys.matches_fingerprint(session.get(SESSION_KEY)):
        return None
    return _unauthorized("An API key is required: send 'Authorization: Bearer <key>' "
                         "or 'X-API-Key: <key>'.")


class SignInForm(FlaskForm):
    api_key = PasswordField("API key", validators=[DataRequired()])


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an absolute or scheme-relative URL (open redirect)."""
    if not target:
        return "/"
    try:
        parts = urlsplit(target)
    except ValueError:  # e.g. "http://[" : not a URL at all
        return "/"
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return "/"
    return target


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    """Ask a browser for its API key once and remember it in the signed session."""
    keys = get_api_keys(current_app)
    target = _safe_next(request.args.get("next"))
    form = SignInForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        attempts: FailedAttempts = current_app.extensions[ATTEMPTS_KEY]
        client = request.remote_addr or "-"
        wait = attempts.retry_after(client)
        if wait is not None:
            form.api_key.errors.append(f"Too many wrong keys; try again in {wait} s.")
            status, headers = 429, {"Retry-After": str(wait)}
        elif keys.matches(form.api_key.data):
            session.clear()
            session[SESSION_KEY] = _digest(form.api_key.data).hex()
            return redirect(target)
        else:
            attempts.record(client)
            form.api_key.errors.append("This API key is not valid.")
            status = 401
    elif request.method == "POST":
        status = 400
    return render_template("signin.html", form=form, keys_enabled=keys.enabled,
                           next=target), status, headers


@bp.post("/signout")
def signout():
    """Forget the key kept in the session."""
    session.pop(SESSION_KEY, None)
    return redirect(url_for("auth.signin"))


@bp.app_context_processor
def sign_in_state() -> dict:
    """Tell the site layout whether to offer "Sign out"."""
    keys = current_app.extensions.get(EXTENSION_KEY)
    signed_in = bool(keys and keys.enabled and keys.matches_fingerprint(session.get(SESSION_KEY)))
    return {"signed_in_with_key": signed_in}


def init_app(app: Flask) -> None:
    """Read the keys and guard every request (register after ``request_log`` for request ids)."""
    app.extensions[EXTENSION_KEY] = ApiKeys(parse_keys(app.config.get("API_KEYS")))
    app.extensions[ATTEMPTS_KEY] = FailedAttempts()
    app.before_request(check_request)
    app.register_blueprint(bp)


def add_security_schemes(document: dict, app: Flask | None = None) -> dict:
    """Declare the API-key schemes in an OpenAPI document (idempotent; called by its builder).

    When keys are configured every operation requires one, except the probes and metrics,
    which get ``security: []``. Without keys the document stays as it is.
    """
    app = app or current_app
    if not get_api_keys(app).enabled:
        return document
    schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes["bearerAuth"] = {"type": "http", "scheme": "bearer",
                             "description": "An API key sent as 'Authorization: Bearer <key>'."}
    schemes["apiKeyHeader"] = {"type": "apiKey", "in": "header", "name": "X-API-Key",
                               "description": "An API key sent in the X-API-Key header."}
    document["security"] = [{"bearerAuth": []}, {"apiKeyHeader": []}]
    open_paths = _open_paths(app)
    for path, operations in (document.get("paths") or {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or method.startswith("x-") or method == "parameters":
                continue
            if path in open_paths:
                operation["security"] = []
            else:
                responses = operation.setdefault("responses", {})
                responses.setdefault("401", {
                    "description": "No API key, or an invalid one.",
                    "content": {"application/problem+json": {
                        "schema": {"$ref": "#/components/schemas/Problem"}}},
                })
                responses.setdefault("429", {
                    "description": "Too many wrong API keys from this client; `Retry-After` "
                                   "says in how many seconds to try again.",
                    "content": {"application/problem+json": {
                        "schema": {"$ref": "#/components/schemas/Problem"}}},
                })
    return document


__all__ = ["ApiKeys", "add_security_schemes", "allow_anonymous", "init_app", "parse_keys"]
