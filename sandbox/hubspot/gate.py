"""What runs around every request: faults, bearer auth, rate limits, the lock, the request log."""
from __future__ import annotations

import math
import socket
import time

from flask import Flask, Response, g, jsonify, request

from .errors import HubSpotError, correlation_id
from .ratelimit import Decision
from .requestlog import LoggedRequest
from .scopes import missing_scope, required_scope

API_PREFIXES = ("/crm/", "/appinstalls/", "/marketing/", "/submissions/", "/communication-preferences/")
# Pages a person opens in HubSpot's web UI (the card preview's record page): no injected faults, and they are
# not API calls, so the request log leaves them out.
UI_PREFIXES = ("/contacts/",)
NO_FAULT_PREFIXES = ("/_sandbox/", "/oauth/authorize", *UI_PREFIXES)
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
CREDENTIALS_NOT_FOUND = ("Authentication credentials not found. This API supports OAuth 2.0 authentication and "
                         "you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")


def install(app: Flask, state) -> None:
    app.before_request(lambda: _before(state))
    app.after_request(lambda response: _after(state, response))
    app.teardown_request(lambda exc: _release(state))


def rate_limited_body(policy: str = "TEN_SECONDLY_ROLLING", window: str = "ten_secondly_rolling") -> dict:
    return {"status": "error", "message": f"You have reached your {window} limit.", "errorType": "RATE_LIMIT",
            "correlationId": correlation_id(), "policyName": policy, "requestId": correlation_id()}


def _before(state):
    path = request.path
    if path.startswith("/_sandbox/"):
        if request.remote_addr not in LOOPBACK:
            return jsonify({"status": "error", "message": "sandbox admin is loopback only"}), 403
        return None
    if not path.startswith(NO_FAULT_PREFIXES):
        faulted = _apply_fault(state)
        if faulted is not None:
            return faulted
    if path.startswith(API_PREFIXES):
        _authenticate(state)
        limited = _rate_limit(state, path)
        if limited is not None:
            return limited
        if state.latency_s > 0:
            time.sleep(state.latency_s)  # like HubSpot's own answer time; other requests go on meanwhile
    state.lock.acquire()
    g.locked = True
    return None


def _apply_fault(state):
    fault = state.faults.next_fault()
    if fault is None:
        return None
    g.fault = fault.kind
    if fault.kind == "slow":
        time.sleep(fault.seconds)
        return None
    if fault.kind == "drop":
        sock = request.environ.get("werkzeug.socket")
        if sock is not None:
            # The client sees the connection close without an answer.
            sock.shutdown(socket.SHUT_RDWR)
            return Response(b"", status=502)
        fault_status = 502
    else:
        fault_status = fault.status
    if fault_status == 429:
        # An injected 429 looks like a real one, headers included.
        limiter = state.rate_limiter
        exhausted = Decision(False, limiter.max_requests, 0, int(limiter.interval * 1000))
        return jsonify(rate_limited_body()), 429, limiter.headers(exhausted)
    body = {"status": "error", "message": "internal error", "correlationId": correlation_id(),
            "category": "INTERNAL_ERROR" if fault_status == 500 else "SERVICE_UNAVAILABLE"}
    return jsonify(body), fault_status


def _authenticate(state) -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise HubSpotError(401, CREDENTIALS_NOT_FOUND, "INVALID_AUTHENTICATION")
    token = state.oauth.access_token(value.strip())
    if token is None or not token.alive or not state.portal_alive(token.portal_id):
        raise HubSpotError(401, CREDENTIALS_NOT_FOUND, "INVALID_AUTHENTICATION")
    now = state.clock.now()
    if token.expires_at <= now:
        ago = max(1, math.ceil(now - token.expires_at))
        raise HubSpotError(401, f"The OAuth token used to make this call expired {ago} second(s) ago.",
                           "EXPIRED_AUTHENTICATION")
    g.portal_id = token.portal_id
    g.token = token
    scope = required_scope(request.method, request.path, request.view_args or {})
    if scope is not None and scope not in token.scopes:
        raise missing_scope(scope)


def _rate_limit(state, path: str):
    if path.startswith("/submissions/"):
        return _form_submission_limit(state)
    if path.endswith("/search"):
        decision = state.search_rate_limiter.hit(g.portal_id)
        if not decision.allowed:
            return jsonify(rate_limited_body("SECONDLY", "secondly")), 429
        return None
    decision = state.rate_limiter.hit(g.portal_id)
    g.rate_headers = state.rate_limiter.headers(decision)
    if not decision.allowed:
        return jsonify(rate_limited_body()), 429
    return None


def _form_submission_limit(state):
    """Standard limits, then HubSpot's per-IP block: ten 429s within one second block the caller for a minute.

    developers.hubspot.com/changelog/additional-rate-limit-protection-being-added-to-form-submissions-api: the
    block is per IP address and answers `text/plain` with the body `error code: 1015` (its status is not given;
    429 here, the status of Cloudflare's 1015).
    """
    address = request.remote_addr or ""
    if state.forms_ip_guard.blocked(address):
        return Response("error code: 1015", status=429, mimetype="text/plain", content_type="text/plain; charset=UTF-8")
    decision = state.rate_limiter.hit(g.portal_id)
    g.rate_headers = state.rate_limiter.headers(decision)
    if not decision.allowed:
        state.forms_ip_guard.record_429(address)
        return jsonify(rate_limited_body()), 429
    return None


def _after(state, response):
    for name, value in (g.get("rate_headers") or {}).items():
        response.headers[name] = value
    if not request.path.startswith(("/_sandbox/", *UI_PREFIXES)):
        rule = request.url_rule.rule if request.url_rule is not None else request.path
        state.request_log.record(LoggedRequest(request.method, request.path, f"{request.method} {rule}",
                                               g.get("portal_id"), response.status_code, state.clock.now()))
    return response


def _release(state) -> None:
    if g.pop("locked", False):
        state.lock.release()
