"""Set-based statements for a batch's many rows, in the session's dialect.

psycopg sends an executemany as one message per row (pipeline mode), and a
statement with thousands of placeholders (a long IN list, a multi-row VALUES)
is re-parsed by psycopg at every execution, as it caches only short queries.
So on PostgreSQL the rows travel as one JSON document, turned back into typed
rows by `json_to_recordset` (or, where their order matters, its numbered
elements by `json_to_record`): one short statement, one round trip, prepared
once. (As arrays, one per column, psycopg quoted every element in Python: a
fifth of the webhook worker's CPU.) SQLite is in-process: its executemany and
IN lists cost no round trip.
"""
from __future__ import annotations

from datetime import datetime

import orjson
from sqlalchemy import JSON, Table, Text, and_, bindparam, cast, column, func, select, true, update
from sqlalchemy.orm import Session

from .base import UTCDateTime, insert_skipping_conflicts, on_postgresql


_UTC = UTCDateTime()


def _json_value(value):
    if isinstance(value, datetime):  # as the column type would bind it: UTC, never naive
        return _UTC.process_bind_param(value, None).isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value")


def _document(rows: list[dict]):
    """The rows as one JSON array, sent as a single parameter (keys other than the columns asked for are ignored).

    orjson: the stdlib encoder was a fifth of the webhook worker's CPU. It refuses what no database stores either
    (lone surrogates, integers past 64 bits), which never gets this far: webhook payloads passed
    `untrusted_json.unstorable`, and the sync's keys come from validated records."""
    try:
        text = orjson.dumps(rows, default=_json_value, option=orjson.OPT_PASSTHROUGH_DATETIME).decode()
    except TypeError as error:  # orjson's own words hide why: a naive datetime, say
        raise error.__cause__ or error
    return cast(bindparam("b_rows", text, Text), JSON)


def recordset(rows: list[dict], typed_as: dict):
    """PostgreSQL: `rows` as a FROM clause `v`, each field name of `typed_as` a column of its column's type."""
    columns = (column(name, like.type) for name, like in typed_as.items())
    return func.json_to_recordset(_document(rows)).table_valued(*columns).render_derived(name="v", with_types=True)


def _ordered(table: Table, rows: list[dict], names: tuple[str, ...]):
    """PostgreSQL: SELECT `rows` as the table's columns `names`, in their order: each element of the document
    numbered (`WITH ORDINALITY`), then read as a typed record."""
    elements = func.json_array_elements(_document(rows)).table_valued("value", with_ordinality="n") \
        .render_derived(name="e")
    values = func.json_to_record(elements.c.value) \
        .table_valued(*(column(name, table.c[name].type) for name in names)).render_derived(name="v", with_types=True)
    return select(*(values.c[name] for name in names)).select_from(elements).join(values, true()) \
        .order_by(elements.c.n)


def update_rows(session: Session, table: Table, keys: tuple[str, ...], columns: tuple[str, ...],
                rows: list[dict], where: tuple = (), **same) -> None:
    """Set `columns` (and the `same` values) of the rows matching each row's `keys` and every condition of
    `where`: one statement."""
    if not rows:
        return
    if on_postgresql(session):
        values = recordset(rows, {name: table.c[name] for name in keys + columns})
        stmt = update(table).where(and_(*(table.c[key] == values.c[key] for key in keys), *where))
        session.connection().execute(stmt.values({**{name: values.c[name] for name in columns}, **same}))
        return
    stmt = update(table).where(and_(*(table.c[key] == bindparam(f"b_{key}") for key in keys), *where))
    session.connection().execute(stmt.values({**{name: bindparam(f"b_{name}") for name in columns}, **same}),
                                 [{f"b_{name}": row[name] for name in keys + columns} for row in rows])


def insert_new(session: Session, table: Table, rows: list[dict], unique: tuple[str, ...], *returning) -> list:
    """INSERT the rows, skipping those whose `unique` columns match a stored row; `returning` of those inserted."""
    stmt = insert_skipping_conflicts(session, table, list(unique))
    if on_postgresql(session):
        names = tuple(rows[0])
        # In the rows' order: their ids (a serial) follow it, as they would in a multi-row VALUES.
        return session.connection().execute(
            stmt.from_select(names, _ordered(table, rows, names)).returning(*returning)).all()
    # Parameters passed separately: the statement compiles once and is cached, and SQLAlchemy still sends
    # one multi-row INSERT.
    return session.connection().execute(stmt.returning(*returning), rows).all()
