"""Rolling-window rate limits per portal, as HubSpot applies them to OAuth apps."""
from __future__ import annotations

import threading
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    interval_ms: int


class RollingWindowLimiter:
    def __init__(self, max_requests: int, interval_seconds: float, now: Callable[[], float]) -> None:
        self.max_requests = int(max_requests)
        self.interval = float(interval_seconds)
        self._now = now
        self._hits: dict[object, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, key) -> Decision:
        now = self._now()
        with self._lock:
            hits = self._hits[key]
            while hits and hits[0] <= now - self.interval:
                hits.popleft()
            allowed = len(hits) < self.max_requests
            if allowed:
                hits.append(now)
            remaining = self.max_requests - len(hits)
        return Decision(allowed, self.max_requests, remaining, int(self.interval * 1000))

    def headers(self, decision: Decision) -> dict[str, str]:
        return {
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(decision.interval_ms),
            "X-HubSpot-RateLimit-Max": str(decision.limit),
            "X-HubSpot-RateLimit-Remaining": str(decision.remaining),
        }


def parse_rate(text: str) -> tuple[int, float]:
    """`110/10s` -> (110, 10.0); the CLI's --rate-limit format."""
    count, _, window = text.partition("/")
    window = window.strip().rstrip("s") or "1"
    return int(count), float(window)
