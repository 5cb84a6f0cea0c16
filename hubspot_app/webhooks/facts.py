"""HubSpot object lifecycle facts, last-writer-wins by `occurredAt`.

`lifecycle_wins` is the pure rule; the rest loads and stores
`HubSpotObjectState` rows. Because a fact only replaces an older one (and
"merged"/"privacy_deleted" are final), events applied in any order, any number
of times, converge on the same state.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from ..db.base import insert_skipping_conflicts
from ..db.models.webhooks import HubSpotObjectState

LIVE, DELETED, MERGED, PRIVACY_DELETED = "live", "deleted", "merged", "privacy_deleted"
# Tie-break for facts with the same timestamp, and finality: a higher rank is never undone by a lower one
# when it is final (merged, privacy_deleted).
_RANK = {LIVE: 0, DELETED: 1, MERGED: 2, PRIVACY_DELETED: 3}
_FINAL = {MERGED, PRIVACY_DELETED}
_MAX_MERGE_HOPS = 20
_FACT_COLUMNS = ("lifecycle", "lifecycle_at_ms", "merged_into")


def lifecycle_wins(current: str, current_at: int, new: str, new_at: int) -> bool:
    if current in _FINAL and _RANK[new] <= _RANK[current]:
        return False
    if new in _FINAL and _RANK[new] > _RANK[current]:
        return True
    if new_at != current_at:
        return new_at > current_at
    return _RANK[new] > _RANK[current]


def _cache(session: Session) -> dict:
    # Rows loaded in this unit of work, by natural key: handlers read the same few rows again and again.
    return session.info.setdefault("hubspot_object_states", {})


def _load(session: Session, portal_id: int, object_type: str, object_id: str,
          for_update: bool = False) -> HubSpotObjectState | None:
    key = (portal_id, object_type, object_id)
    cache = _cache(session)
    if key not in cache:
        query = select(HubSpotObjectState).where(
            HubSpotObjectState.portal_id == portal_id, HubSpotObjectState.object_type == object_type,
            HubSpotObjectState.object_id == object_id)
        cache[key] = session.scalar(query.with_for_update() if for_update else query)
    return cache[key]


def preload(session: Session, portal_id: int, object_type: str, object_ids: set[str], create: bool = False) -> None:
    """Load (and lock, on PostgreSQL) many objects' rows in one query, so a batch's handlers find them cached.
    With `create`, rows missing are then inserted as "live since never" (what `state_of` would add one by one)
    in one statement that skips rows another transaction inserted meanwhile, and loaded."""
    cache = _cache(session)
    wanted = {i for i in object_ids if (portal_id, object_type, i) not in cache}
    for key in wanted:
        cache[(portal_id, object_type, key)] = None
    missing = _load_many(session, portal_id, object_type, wanted)
    if create and missing:
        # Only when some are new: even an INSERT that inserts nothing takes SQLite's write lock, and the batch
        # should hold it for as short a time as it can (the receiver waits for it).
        session.connection().execute(insert_skipping_conflicts(session, HubSpotObjectState.__table__), [
            dict(portal_id=portal_id, object_type=object_type, object_id=object_id, lifecycle=LIVE,
                 lifecycle_at_ms=0, email_at_ms=0) for object_id in sorted(missing)])
        _load_many(session, portal_id, object_type, missing)


def _load_many(session: Session, portal_id: int, object_type: str, object_ids: set[str]) -> set[str]:
    """Cache the rows of these objects; returns the ids that have none."""
    if not object_ids:
        return set()
    cache, missing = _cache(session), set(object_ids)
    for row in session.scalars(select(HubSpotObjectState).where(
            HubSpotObjectState.portal_id == portal_id, HubSpotObjectState.object_type == object_type,
            HubSpotObjectState.object_id.in_(object_ids)).order_by(HubSpotObjectState.id).with_for_update()):
        cache[(portal_id, object_type, row.object_id)] = row
        missing.discard(row.object_id)
    return missing


def state_of(session: Session, portal_id: int, object_type: str, object_id: str) -> HubSpotObjectState:
    row = _load(session, portal_id, object_type, object_id, for_update=True)
    if row is None:
        row = HubSpotObjectState(portal_id=portal_id, object_type=object_type, object_id=object_id,
                                 lifecycle=LIVE, lifecycle_at_ms=0, email_at_ms=0)
        session.add(row)
        _cache(session)[(portal_id, object_type, object_id)] = row
    return row


def record_lifecycle(session: Session, portal_id: int, object_type: str, object_id: str, lifecycle: str,
                     at_ms: int, merged_into: str | None = None) -> bool:
    """Apply one fact; True when it changed what we know."""
    row = state_of(session, portal_id, object_type, object_id)
    if not lifecycle_wins(row.lifecycle, row.lifecycle_at_ms, lifecycle, at_ms):
        return False
    row.lifecycle, row.lifecycle_at_ms, row.merged_into = lifecycle, at_ms, merged_into
    for column in _FACT_COLUMNS:
        # Every recorded fact updates the same columns, even those whose value is unchanged: the ORM then
        # sends a batch's rows as one executemany, not one UPDATE per differing set of changed columns.
        flag_modified(row, column)
    return True


def resolve(session: Session, portal_id: int, object_type: str, object_id: str) -> tuple[str, str]:
    """Follow merges to the surviving id; returns (survivor id, its lifecycle)."""
    current = object_id
    for _ in range(_MAX_MERGE_HOPS):
        row = _load(session, portal_id, object_type, current)
        if row is None:
            return current, LIVE
        if row.lifecycle != MERGED or not row.merged_into or row.merged_into == current:
            return current, row.lifecycle
        current = row.merged_into
    return current, LIVE
