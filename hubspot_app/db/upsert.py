"""INSERT ... ON CONFLICT DO UPDATE of many rows on a table's unique key, in the session's dialect (the two the
app supports both have it): two workers writing the same record at once converge on one row."""
from __future__ import annotations

from sqlalchemy.orm import Session

from hubspot_app.db.base import insert_of


def upsert(session: Session, model, rows: list[dict], keys: tuple[str, ...]) -> None:
    if not rows:
        return
    # On the Table, not the ORM class: one compiled statement run as the driver's executemany. The ORM's
    # bulk path compiled and ran it once per row here, the largest part of a backfill's CPU.
    statement = insert_of(session, model.__table__)
    updates = {c: statement.excluded[c] for c in rows[0] if c not in keys}
    session.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=updates), rows)
