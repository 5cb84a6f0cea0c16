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


class IpBlock:
    """HubSpot's form-submission guard: ten 429s to one IP within a second block that IP for a minute."""

    def __init__(self, now: Callable[[], float], strikes: int = 10, within_s: float = 1.0,
                 block_s: float = 60.0) -> None:
        self._now, self.strikes, self.within_s, self.block_s = now, strikes, within_s, block_s
        self._recent: dict[str, deque[float]] = defaultdict(deque)
        self._blocked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def blocked(self, address: str) -> bool:
        with self._lock:
            return self._blocked_until.get(address, 0.0) > self._now()

    def record_429(self, address: str) -> None:
        now = self._now()
        with self._lock:
            recent = self._recent[address]
            recent.append(now)
            while recent and recent[0] <= now - self.within_s:
                recent.popleft()
            if len(recent) >= self.strikes:
                self._blocked_until[address] = now + self.block_s
                recent.clear()
