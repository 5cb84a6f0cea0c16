"""Every API request the sandbox answered, for assertions on call counts."""
from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    endpoint: str  # route pattern, e.g. "POST /crm/v3/objects/<object_type>/batch/create"
    portal_id: int | None
    status: int
    at: float


class RequestLog:
    def __init__(self) -> None:
        self._entries: list[LoggedRequest] = []
        self._lock = threading.Lock()

    def record(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._entries)

    def count(self, method: str | None = None, path_prefix: str | None = None,
              portal_id: int | None = None) -> int:
        return sum(
            1 for e in self.entries()
            if (method is None or e.method == method.upper())
            and (path_prefix is None or e.path.startswith(path_prefix))
            and (portal_id is None or e.portal_id == portal_id)
        )

    def total(self) -> int:
        with self._lock:
            return len(self._entries)

    def by_endpoint(self) -> dict[str, int]:
        return dict(Counter(e.endpoint for e in self.entries()))

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()

    def as_json(self) -> list[dict]:
        return [e.__dict__ for e in self.entries()]
