"""Pages of the sample store's listings: cursors, the window a page starts from, and where a page ends.

Listing order is (updated_at, id). A cursor is the last (updated_at, id) served; the next page is
everything strictly after it (and, with `updated_since`/`since`, at or after that time).
"""
from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Iterable, Iterator

from .formats import iso, to_us
from .generator import Collection

Row = tuple[int, str, dict]  # (updated_at µs, id, record)


class CursorError(ValueError):
    pass


def encode_cursor(ts_us: int, record_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([iso(ts_us), record_id]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        ts, record_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return to_us(datetime.fromisoformat(ts)), str(record_id)
    except (ValueError, TypeError) as error:
        raise CursorError(f"invalid cursor: {error}") from None


@dataclass
class Page:
    data: list[dict]
    next_cursor: str | None


@dataclass
class Overlay:
    """Edited records of one collection, id -> (updated_at µs, record), and deleted ids -> deleted_at µs."""

    edits: dict[str, tuple[int, dict]] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)

    def touched(self, record_id: str) -> bool:
        return record_id in self.edits or record_id in self.deleted

    def rows(self, window: "Window") -> Iterator[Row]:
        """Edited records in the window, in listing order, as copies."""
        # A generator, so the edits are sorted only when the generated records leave room on the page.
        for ts, record_id, record in sorted((ts, rid, rec) for rid, (ts, rec) in self.edits.items()):
            if window.admits(ts, record_id):
                yield ts, record_id, copy.deepcopy(record)


@dataclass(frozen=True)
class Window:
    """Where a page starts: strictly after the cursor's (updated_at µs, id), and at or after `since_us`."""

    after: tuple[int, str] | None
    since_us: int | None

    @classmethod
    def of(cls, cursor: str | None, since: datetime | None) -> "Window":
        return cls(decode_cursor(cursor) if cursor else None, to_us(since) if since else None)

    def admits(self, ts_us: int, record_id: str) -> bool:
        return ((self.after is None or (ts_us, record_id) > self.after)
                and (self.since_us is None or ts_us >= self.since_us))

    def first_index(self, collection: Collection) -> int:
        """The first generated record in the window (generated records are listed in index order)."""
        i = 0
        if self.after is not None:
            i = collection.first_at_or_after(self.after[0])
            if i < collection.count and collection.updated_us(i) == self.after[0]:
                i += 1  # generated timestamps are unique: equal means this record was the cursor
        if self.since_us is not None:
            i = max(i, collection.first_at_or_after(self.since_us))
        return i


def paginate(rows: Iterable[Row], limit: int) -> Page:
    """The first `limit` rows; one more is read (and no further) to know whether a next page exists."""
    data = list(islice(rows, limit + 1))
    more = len(data) > limit
    data = data[:limit]
    next_cursor = encode_cursor(data[-1][0], data[-1][1]) if more else None
    return Page([record for _, _, record in data], next_cursor)
