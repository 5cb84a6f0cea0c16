"""HubSpot object lifecycle facts, last-writer-wins by `occurredAt`.

`lifecycle_wins` is the pure rule; the rest loads `HubSpotObjectState` rows
as `Fact` records, changes them in memory and stores the changes (`write`).
Because a fact only replaces an older one (and "merged"/"privacy_deleted" are
final), events applied in any order, any number of times, converge on the
same state.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..db.models.webhooks import HubSpotObjectState
from ..db.one_of import one_of
from ..db import bulk

LIVE, DELETED, MERGED, PRIVACY_DELETED = "live", "deleted", "merged", "privacy_deleted"
# Tie-break for facts with the same timestamp, and finality: a higher rank is never undone by a lower one
# when it is final (merged, privacy_deleted).
_RANK = {LIVE: 0, DELETED: 1, MERGED: 2, PRIVACY_DELETED: 3}
_FINAL = {MERGED, PRIVACY_DELETED}
_MAX_MERGE_HOPS = 20


def lifecycle_wins(current: str, current_at: int, new: str, new_at: int) -> bool:
    if current in _FINAL and _RANK[new] <= _RANK[current]:
        return False
    if new in _FINAL and _RANK[new] > _RANK[current]:
        return True
    if new_at != current_at:
        return new_at > current_at
    return _RANK[new] > _RANK[current]


@dataclass(slots=True)
class Fact:
    """One object's row of `hubspot_object_states` as this unit of work knows it; written by `write`.

    Plain records, not ORM rows: a batch loads and changes thousands, and the ORM's unit of work for them
    was a quarter of a batch's processing."""

    lifecycle: str = LIVE
    lifecycle_at_ms: int = 0
    merged_into: str | None = None
    email_at_ms: int = 0
    stored: bool = False


_COLUMNS = ("lifecycle", "lifecycle_at_ms", "merged_into", "email_at_ms")
_KEYS = ("portal_id", "object_type", "object_id")
_TABLE = HubSpotObjectState.__table__


def _cache(session: Session) -> dict:
    # Rows loaded in this unit of work, by natural key: handlers read the same few rows again and again.
    return session.info.setdefault("hubspot_object_states", {})


def _changed(session: Session) -> dict:
    # Facts changed since the last `write`, by natural key.
    return session.info.setdefault("hubspot_object_states.changed", {})


def _rows(session: Session, portal_id: int, object_type: str, where, for_update: bool):
    query = select(_TABLE.c.object_id, *(_TABLE.c[name] for name in _COLUMNS)).where(
        _TABLE.c.portal_id == portal_id, _TABLE.c.object_type == object_type, where)
    return session.connection().execute(query.order_by(_TABLE.c.id).with_for_update() if for_update else query)


def _load(session: Session, portal_id: int, object_type: str, object_id: str, for_update: bool = False) -> Fact | None:
    key = (portal_id, object_type, object_id)
    cache = _cache(session)
    if key not in cache:
        row = _rows(session, portal_id, object_type, _TABLE.c.object_id == object_id, for_update).first()
        cache[key] = None if row is None else Fact(*row[1:], stored=True)
    return cache[key]


def preload(session: Session, portal_id: int, object_type: str, object_ids: set[str], create: bool = False) -> None:
    """Load (and lock, on PostgreSQL) many objects' rows in one query, so a batch's handlers find them cached.
    With `create`, rows missing are then inserted as "live since never" (what `_state_of` would add one by one)
    in one statement that skips rows another transaction inserted meanwhile; those are then loaded."""
    cache = _cache(session)
    wanted = {i for i in object_ids if (portal_id, object_type, i) not in cache}
    for key in wanted:
        cache[(portal_id, object_type, key)] = None
    missing = _load_many(session, portal_id, object_type, wanted)
    if create and missing:
        # Only when some are new: even an INSERT that inserts nothing takes SQLite's write lock, and the batch
        # should hold it for as short a time as it can (the receiver waits for it).
        inserted = bulk.insert_new(session, _TABLE, [
            dict(portal_id=portal_id, object_type=object_type, object_id=object_id, lifecycle=LIVE,
                 lifecycle_at_ms=0, email_at_ms=0) for object_id in sorted(missing)], _KEYS, _TABLE.c.object_id)
        for (object_id,) in inserted:
            cache[(portal_id, object_type, object_id)] = Fact(stored=True)
        _load_many(session, portal_id, object_type, missing - {object_id for (object_id,) in inserted})


def _load_many(session: Session, portal_id: int, object_type: str, object_ids: set[str]) -> set[str]:
    """Cache the rows of these objects; returns the ids that have none."""
    if not object_ids:
        return set()
    cache, missing = _cache(session), set(object_ids)
    for object_id, *values in _rows(session, portal_id, object_type,
                                    one_of(session, _TABLE.c.object_id, object_ids), for_update=True):
        cache[(portal_id, object_type, object_id)] = Fact(*values, stored=True)
        missing.discard(object_id)
    return missing


def _state_of(session: Session, portal_id: int, object_type: str, object_id: str) -> Fact:
    fact = _load(session, portal_id, object_type, object_id, for_update=True)
    if fact is None:
        fact = _cache(session)[(portal_id, object_type, object_id)] = Fact()
        _changed(session)[(portal_id, object_type, object_id)] = fact
    return fact


def record_lifecycle(session: Session, portal_id: int, object_type: str, object_id: str, lifecycle: str,
                     at_ms: int, merged_into: str | None = None) -> bool:
    """Apply one fact; True when it changed what we know."""
    fact = _state_of(session, portal_id, object_type, object_id)
    if not lifecycle_wins(fact.lifecycle, fact.lifecycle_at_ms, lifecycle, at_ms):
        return False
    fact.lifecycle, fact.lifecycle_at_ms, fact.merged_into = lifecycle, at_ms, merged_into
    _changed(session)[(portal_id, object_type, object_id)] = fact
    return True


def record_email_change(session: Session, portal_id: int, contact_id: str, at_ms: int) -> Fact | None:
    """Advance the contact's email watermark to `at_ms`; its fact, or None when a newer email change is known."""
    fact = _state_of(session, portal_id, "contact", contact_id)
    if at_ms <= fact.email_at_ms:
        return None
    fact.email_at_ms = at_ms
    _changed(session)[(portal_id, "contact", contact_id)] = fact
    return fact


def write(session: Session) -> None:
    """Store the facts changed in this unit of work: one INSERT of the new rows, one UPDATE of the others."""
    changed = _changed(session)
    rows = {False: [], True: []}
    for key, fact in sorted(changed.items()):
        rows[fact.stored].append(dict(zip(_KEYS, key), **{name: getattr(fact, name) for name in _COLUMNS}))
        fact.stored = True
    if rows[False]:
        session.connection().execute(insert(_TABLE), rows[False])
    bulk.update_rows(session, _TABLE, _KEYS, _COLUMNS, rows[True])
    changed.clear()


def resolve(session: Session, portal_id: int, object_type: str, object_id: str) -> tuple[str, str]:
    """Follow merges to the surviving id; returns (survivor id, its lifecycle)."""
    current = object_id
    for _ in range(_MAX_MERGE_HOPS):
        fact = _load(session, portal_id, object_type, current)
        if fact is None:
            return current, LIVE
        if fact.lifecycle != MERGED or not fact.merged_into or fact.merged_into == current:
            return current, fact.lifecycle
        current = fact.merged_into
    return current, LIVE
