"""The app's clock, injectable so tests can move time (token expiry, abandoned checkouts)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


class MovableClock:
    """A clock for tests and the time-scaled demo: starts at a given instant, moves only when told."""

    def __init__(self, start: datetime | None = None):
        self._now = start or system_clock()

    def __call__(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
