"""What can go wrong for a card request, each with the HTTP status the view answers.

The card shows `message` to the user as is, so it is written for a person.
"""
from __future__ import annotations


class CardError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, **extra):
        super().__init__(message)
        self.message = message
        self.extra = extra

    def body(self) -> dict:
        return {"error": self.code, "message": self.message, **self.extra}


class BadRequest(CardError):
    pass


class NotSigned(CardError):
    status, code = 401, "invalid_signature"


class Forbidden(CardError):
    status, code = 403, "forbidden"


class NotFound(CardError):
    status, code = 404, "not_found"


class TooSoon(CardError):
    status, code = 429, "rate_limited"


class UpstreamFailed(CardError):
    """Moulin or HubSpot refused or answered something unusable (bad key, bad data): retrying will not help."""

    status, code = 502, "upstream_error"


class Unavailable(CardError):
    """Moulin or HubSpot is down or busy right now: worth retrying later."""

    status, code = 503, "unavailable"
