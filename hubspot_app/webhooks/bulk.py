"""Set-based statements for a batch's many rows, in the session's dialect.

psycopg sends an executemany as one message per row (pipeline mode), and a
statement with thousands of placeholders (a long IN list, a multi-row VALUES)
is re-parsed by psycopg at every execution, as it caches only short queries.
So on PostgreSQL the rows travel as a few array parameters and `unnest` turns
them back into rows: one short statement, one round trip, prepared once.
SQLite is in-process: its executemany and IN lists cost no round trip.
"""
from __future__ import annotations

import json

from sqlalchemy import JSON, Table, Text, and_, bindparam, cast, column, func, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from ..db.base import insert_skipping_conflicts, on_postgresql


def _array(table: Table, name: str, values: list):
    return bindparam(f"b_{name}", values, type_=postgresql.ARRAY(table.c[name].type))


def _unnested(table: Table, rows: list[dict], names: tuple[str, ...], ordinality: str | None = None):
    """PostgreSQL: `rows` as a FROM clause of columns `names` (typed as the table's), from one array each;
    with `ordinality`, a column of that name numbers them."""
    arrays = [_array(table, name, [row[name] for row in rows]) for name in names]
    columns = (column(name, table.c[name].type) for name in names)
    return func.unnest(*arrays).table_valued(*columns, with_ordinality=ordinality).render_derived(name="v")


def update_rows(session: Session, table: Table, keys: tuple[str, ...], columns: tuple[str, ...],
                rows: list[dict], **same) -> None:
    """Set `columns` (and the `same` values) of the rows matching each row's `keys`: one statement."""
    if not rows:
        return
    if on_postgresql(session):
        values = _unnested(table, rows, keys + columns)
        stmt = update(table).where(and_(*(table.c[key] == values.c[key] for key in keys)))
        session.connection().execute(stmt.values({**{name: values.c[name] for name in columns}, **same}))
        return
    stmt = update(table).where(and_(*(table.c[key] == bindparam(f"b_{key}") for key in keys)))
    session.connection().execute(stmt.values({**{name: bindparam(f"b_{name}") for name in columns}, **same}),
                                 [{f"b_{name}": row[name] for name in keys + columns} for row in rows])


def _selected(table: Table, rows: list[dict], names: tuple[str, ...]):
    """PostgreSQL: SELECT the rows from their arrays. JSON columns travel as one JSON document of an array each:
    psycopg quotes every element of a text array in Python, for JSON (its quotes escaped one by one) the most
    costly part of a batch's INSERT."""
    documents = [name for name in names if isinstance(table.c[name].type, JSON)]
    scalars = tuple(name for name in names if name not in documents)
    values = _unnested(table, rows, scalars, ordinality="n")
    joined, columns = values, {name: values.c[name] for name in scalars}
    for name in documents:
        document = cast(bindparam(f"b_{name}", json.dumps([row[name] for row in rows]), Text), JSON)
        elements = func.json_array_elements(document).table_valued("value", with_ordinality="n") \
            .render_derived(name=f"d_{name}")
        joined, columns[name] = joined.join(elements, elements.c.n == values.c.n), elements.c.value
    # In the rows' order: their ids (a serial) follow it, as they would in a multi-row VALUES.
    return select(*(columns[name] for name in names)).select_from(joined).order_by(values.c.n)


def insert_new(session: Session, table: Table, rows: list[dict], unique: tuple[str, ...], *returning) -> list:
    """INSERT the rows, skipping those whose `unique` columns match a stored row; `returning` of those inserted."""
    stmt = insert_skipping_conflicts(session, table, list(unique))
    if on_postgresql(session):
        names = tuple(rows[0])
        return session.connection().execute(
            stmt.from_select(names, _selected(table, rows, names)).returning(*returning)).all()
    # Parameters passed separately: the statement compiles once and is cached, and SQLAlchemy still sends
    # one multi-row INSERT.
    return session.connection().execute(stmt.returning(*returning), rows).all()
