"""Errors from talking to a Moulin back office, mapped at the client boundary.

Only `MoulinUnavailable` is worth retrying later (the job layer decides that by
type); the others need a person (bad key, wrong id) or a fix in Moulin's data.
"""
from __future__ import annotations


class MoulinError(Exception):
    """Moulin answered something we cannot use (unexpected status, malformed body)."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code


class MoulinUnavailable(MoulinError):
    """Transient: connection failure, timeout, 429 or 502/503/504 after every transport retry."""


class MoulinAuthError(MoulinError):
    """The API key was refused (401/403): the operator must reconnect the store."""


class MoulinNotFound(MoulinError):
    """The record (or the endpoint) does not exist in this store."""
