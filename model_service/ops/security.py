"""Security headers on every response, and sessions that cost nothing for cookieless requests."""
from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
_SECURITY_HEADER_NAMES = frozenset(name.lower() for name, _ in SECURITY_HEADERS)


class LazySessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building a signing serializer for cookieless requests.

    Most API calls carry no cookie; Flask would still build a serializer (key derivation included)
    on every one of them, a noticeable share of a prediction's time. Without a cookie the session
    starts empty either way, so it is created directly.
    """

    def open_session(self, app, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    """Send strict security headers on every response: only our own origin may supply content."""
    app.session_interface = LazySessionInterface()

    @app.after_request
    def set_security_headers(response):
        headers = response.headers
        present = _SECURITY_HEADER_NAMES.intersection(headers.keys(lower=True))
        # One pass over the (list-based) headers instead of six lookups: this runs per request.
        headers.extend([(name, value) for name, value in SECURITY_HEADERS
                        if name.lower() not in present] if present else SECURITY_HEADERS)
        return response
