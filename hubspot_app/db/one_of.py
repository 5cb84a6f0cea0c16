"""`column IN (values)` for a list of keys, in the form each database handles best.

On PostgreSQL, SQLAlchemy writes an IN list as one placeholder per value, each with its type cast, and psycopg
converts a statement of more than 50 placeholders to PostgreSQL's `$n` form again at every execution (it caches
only shorter ones): together 14% of a worker's CPU in a ten-portal backfill (py-spy, `bench.portals`), for lists of
up to 500 keys. There the list goes as one array parameter, `column = ANY(:keys)`: a short statement, converted
once, the same plan. SQLite has no arrays and keeps IN.
"""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from hubspot_app.db.base import on_postgresql


def one_of(session: Session, column, values: Iterable):
    """The condition "column is one of values" for a query run in `session`."""
    values = list(values)
    if on_postgresql(session):
        return column == any_(bindparam("keys", values, type_=ARRAY(column.type), unique=True))
    return column.in_(values)
