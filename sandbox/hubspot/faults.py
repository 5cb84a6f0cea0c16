"""Injected failures: a seeded random rate of 429/5xx, plus queued one-off faults."""
from __future__ import annotations

import random
import threading
from collections import deque
from dataclasses import dataclass

RANDOM_STATUSES = (429, 500, 502, 503)


@dataclass(frozen=True)
class Fault:
    kind: str  # "status" | "slow" | "drop"
    status: int = 0
    seconds: float = 0.0


class Faults:
    def __init__(self, rate: float = 0.0, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._queue: deque[Fault] = deque()
        self.set_rate(rate, seed)

    def set_rate(self, f: float, seed: int = 0) -> None:
        """Fail a fraction `f` of requests with a random 429/500/502/503, reproducibly for a seed."""
        with self._lock:
            self.rate = float(f)
            self._random = random.Random(seed)

    def fail_next(self, n: int, status: int = 503) -> None:
        self._push(n, Fault("status", status=status))

    def slow_next(self, n: int, seconds: float) -> None:
        self._push(n, Fault("slow", seconds=seconds))

    def drop_next(self, n: int) -> None:
        self._push(n, Fault("drop"))

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self.rate = 0.0

    def _push(self, n: int, fault: Fault) -> None:
        with self._lock:
            self._queue.extend([fault] * int(n))

    def next_fault(self) -> Fault | None:
        """The fault for the request being handled, if any (queued faults first)."""
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            if self.rate > 0 and self._random.random() < self.rate:
                return Fault("status", status=self._random.choice(RANDOM_STATUSES))
        return None
