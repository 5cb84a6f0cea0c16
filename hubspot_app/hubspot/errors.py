"""HubSpot errors, mapped once at the boundary into our own hierarchy.

The SDK raises a different `ApiException` class per sub-package with no common
base, so everything is read from `status`/`headers`/`body`. `ACTIONS` is the
one table deciding what is retried (airbyte's `default_error_mapping` shape).
"""
from __future__ import annotations

import json
from enum import Enum


class Action(str, Enum):
    RETRY = "retry"
    FAIL = "fail"
    RATE_LIMITED = "rate_limited"


class HubSpotError(Exception):
    """Base of every HubSpot failure; `status` is the HTTP status when there was one."""

    action = Action.FAIL

    def __init__(self, message: str, *, status: int | None = None, correlation_id: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.correlation_id = correlation_id


class TransientError(HubSpotError):
    """Worth retrying later: 5xx, timeouts, connection resets."""

    action = Action.RETRY


class RateLimited(TransientError):
    """`retry_after`: HubSpot's Retry-After when it sent one; `interval`: its rolling window, the longest wait."""

    action = Action.RATE_LIMITED

    def __init__(self, message: str, *, retry_after: float | None = None, interval: float = 10.0, **kw):
        super().__init__(message, **kw)
        self.retry_after, self.interval = retry_after, interval

    def wait_s(self, consecutive: int) -> float:
        # No Retry-After: the window frees up gradually, so back off exponentially, capped by the window.
        if self.retry_after is not None:
            return self.retry_after
        return min(self.interval, 0.5 * 2 ** max(consecutive - 1, 0))


class PermanentError(HubSpotError):
    """The request itself is wrong (400, 404, ...): retrying gives the same answer."""


class Unauthorized(PermanentError):
    """401/403: token revoked, app uninstalled or scope missing. Stop calling for this portal."""


class Conflict(PermanentError):
    """409: the object already exists (e.g. a property or a unique value)."""


# status -> (action, exception class). Anything absent: 5xx retry, other 4xx fail.
ACTIONS: dict[int, tuple[Action, type[HubSpotError]]] = {
    400: (Action.FAIL, PermanentError),
    401: (Action.FAIL, Unauthorized),
    403: (Action.FAIL, Unauthorized),
    404: (Action.FAIL, PermanentError),
    409: (Action.FAIL, Conflict),
    423: (Action.RETRY, TransientError),  # HubSpot "locked" while it processes a merge
    429: (Action.RATE_LIMITED, RateLimited),
    500: (Action.RETRY, TransientError),
    502: (Action.RETRY, TransientError),
    503: (Action.RETRY, TransientError),
    504: (Action.RETRY, TransientError),
}

DEFAULT_BACKOFF_S = 10.0  # HubSpot's rolling window, when a 429 does not name it


def action_for(status: int | None) -> tuple[Action, type[HubSpotError]]:
    if status is None:
        return Action.RETRY, TransientError  # no response at all: connection error or timeout
    if status in ACTIONS:
        return ACTIONS[status]
    if status >= 500:
        return Action.RETRY, TransientError
    return Action.FAIL, PermanentError


def _float_header(headers, name: str) -> float | None:
    try:
        value = float({k.lower(): v for k, v in dict(headers or {}).items()}[name])
    except (KeyError, TypeError, ValueError):
        return None
    return value if value > 0 else None


def rate_limited(message: str, headers, **kw) -> RateLimited:
    interval_ms = _float_header(headers, "x-hubspot-ratelimit-interval-milliseconds")
    return RateLimited(message, retry_after=_float_header(headers, "retry-after"),
                       interval=interval_ms / 1000 if interval_ms else DEFAULT_BACKOFF_S, **kw)


def _message(body) -> tuple[str, str | None]:
    try:
        data = json.loads(body) if isinstance(body, (str, bytes)) else (body or {})
    except ValueError:
        return (str(body)[:500] if body else "no body"), None
    if not isinstance(data, dict):
        return str(data)[:500], None
    return str(data.get("message") or data)[:500], data.get("correlationId")


def from_exception(error: BaseException) -> HubSpotError:
    """Any SDK / urllib3 exception -> one of ours."""
    if isinstance(error, HubSpotError):
        return error
    status = getattr(error, "status", None)
    if status is None and isinstance(error, (ValueError, TypeError)):
        # The SDK's client-side validation: a contract mismatch, not a hiccup.
        return PermanentError(f"{type(error).__name__}: {error}")
    if status is None:
        return TransientError(f"{type(error).__name__}: {error}")
    message, correlation_id = _message(getattr(error, "body", None))
    _, cls = action_for(status)
    if cls is RateLimited:
        return rate_limited(message, getattr(error, "headers", None), status=status, correlation_id=correlation_id)
    return cls(message, status=status, correlation_id=correlation_id)
