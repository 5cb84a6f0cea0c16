"""The sandbox clock: real time plus an offset tests can move forward."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from functools import lru_cache


class Clock:
    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._offset += float(seconds)
        return self.now()

    def now_ms(self) -> int:
        return int(self.now() * 1000)

    def iso(self, at: float | None = None) -> str:
        return iso_timestamp(self.now() if at is None else at)


@lru_cache(maxsize=4096)  # a write stamps several properties and its answer with the same instant
def iso_timestamp(epoch_seconds: float) -> str:
    """HubSpot's timestamp format: UTC, milliseconds, `Z` suffix."""
    moment = datetime.fromtimestamp(epoch_seconds, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
