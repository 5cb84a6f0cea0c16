"""`column LIKE 'prefix%'` in a form the key's index serves, on either database.

SQLite's LIKE ignores case, so it never uses a (case-sensitive) index: a prefix lookup read every link of the
portal's kind, once per order that had links (a re-synced order, a push, a deletion): its cost grew with the
shop's history. On SQLite the prefix is also given as the range it is, [prefix, the next string after every
string that starts with it), which the unique key's index reads directly; in SQLite's BINARY order (code points)
that range holds exactly the strings that start with the prefix. PostgreSQL uses the index for the LIKE itself
in the C collation (our test database's); in a linguistic collation the range would not hold the same strings,
so there the condition stays the LIKE alone.
"""
from __future__ import annotations

from sqlalchemy import and_
from sqlalchemy.orm import Session

from hubspot_app.db.base import on_postgresql

_SURROGATES = range(0xD800, 0xE000)  # not text: SQLite's UTF-8 cannot hold them


def after_every(prefix: str) -> str | None:
    """The least string greater than every string that starts with `prefix` (None: there is none)."""
    while prefix:
        last = ord(prefix[-1]) + 1
        if last in _SURROGATES:
            last = _SURROGATES.stop
        if last <= 0x10FFFF:
            return prefix[:-1] + chr(last)
        prefix = prefix[:-1]
    return None


def starting_with(session: Session, column, prefix: str):
    """The condition "column starts with prefix" (LIKE's wildcards in the prefix are matched as they are)."""
    condition = column.startswith(prefix, autoescape=True)
    if on_postgresql(session):
        return condition
    upper = after_every(prefix)
    return and_(column >= prefix, *([column < upper] if upper is not None else []), condition)
