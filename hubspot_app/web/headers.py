"""Security headers on every response, and the public URL as the only source of absolute URLs.

Absolute URLs (Werkzeug's slash redirects, `url_for(_external=True)`, `request.url`) are built from the
Host header and the scheme the server saw. Behind a proxy those are whatever the client or the proxy sent,
so a forged `Host: evil.example` would land in a `Location`. `PublicOrigin` rewrites both from
`APP_BASE_URL` before Flask sees the request: the app never reads a Host header, and `request.is_secure`
follows the public scheme (so HSTS is sent exactly when `APP_BASE_URL` is https).

Headers are set by Flask-Talisman: a strict CSP (inline `<script>`/`<style>` only with the per-request nonce
the templates print), no framing, nosniff, no referrer leaving the app, HSTS on https. HTTPS itself is
terminated by the platform in front of us, so Talisman does not redirect, and the session cookie's `Secure`
flag stays as `create_app` sets it.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask
from flask_talisman import Talisman

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


class PublicOrigin:
    """WSGI middleware: the request's host and scheme become those of the public base URL."""

    def __init__(self, wsgi_app, base_url: str):
        parts = urlsplit(base_url)
        self.wsgi_app, self.scheme, self.host = wsgi_app, parts.scheme, parts.netloc

    def __call__(self, environ, start_response):
        environ["HTTP_HOST"] = self.host
        environ["wsgi.url_scheme"] = self.scheme
        environ.pop("HTTP_X_FORWARDED_HOST", None)
        return self.wsgi_app(environ, start_response)


def register(app: Flask, base_url: str) -> None:
    app.wsgi_app = PublicOrigin(app.wsgi_app, base_url)
    Talisman(
        app,
        force_https=False,
        session_cookie_secure=False,  # create_app sets it from APP_BASE_URL's scheme
        session_cookie_http_only=True,
        frame_options="DENY",
        content_security_policy=CONTENT_SECURITY_POLICY,
        content_security_policy_nonce_in=["script-src", "style-src"],
        referrer_policy="no-referrer",
        strict_transport_security=True,
        strict_transport_security_include_subdomains=False,
    )
