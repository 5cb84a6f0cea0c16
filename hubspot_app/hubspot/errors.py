"""HubSpot errors, mapped once at the boundary into our own hierarchy.

The SDK raises a different `ApiException` class per sub-package with no common
base, so everything is read from `status`/`headers`/`body`. `ERRORS` maps a status to our error type and
`ACTIONS` maps an error type to what the gateway does with it (airbyte's `default_error_mapping` shape):
the gateway reads `action_of(error)`, nothing else, to decide whether to retry.
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

    def __init__(self, message: str, *, status: int | None = None, correlation_id: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.correlation_id = correlation_id


class TransientError(HubSpotError):
    """Worth retrying later: 5xx, timeouts, connection resets."""


class RateLimited(TransientError):
    """`retry_after`: HubSpot's Retry-After when it sent one; `interval`: its rolling window, the longest wait."""

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


# status -> our error type. Anything absent: 5xx transient, other 4xx permanent.
ERRORS: dict[int, type[HubSpotError]] = {
    400: PermanentError,
    401: Unauthorized,
    403: Unauthorized,
    404: PermanentError,
    409: Conflict,
    423: TransientError,  # HubSpot "locked" while it processes a merge
    429: RateLimited,
    500: TransientError,
    502: TransientError,
    503: TransientError,
    504: TransientError,
}

# error type -> what the gateway does (the most specific type wins: RateLimited is a TransientError).
ACTIONS: dict[type[HubSpotError], Action] = {
    RateLimited: Action.RATE_LIMITED,
    TransientError: Action.RETRY,
    HubSpotError: Action.FAIL,
}


def action_of(error: HubSpotError) -> Action:
    return next(ACTIONS[kind] for kind in type(error).__mro__ if kind in ACTIONS)


DEFAULT_BACKOFF_S = 10.0  # HubSpot's rolling window, when a 429 does not name it


def error_type_for(status: int | None) -> type[HubSpotError]:
    if status is None:
        return TransientError  # no response at all: connection error or timeout
    if status in ERRORS:
        return ERRORS[status]
    return TransientError if status >= 500 else PermanentError


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
    cls = error_type_for(status)
    if cls is RateLimited:
        return rate_limited(message, getattr(error, "headers", None), status=status, correlation_id=correlation_id)
    return cls(message, status=status, correlation_id=correlation_id)
