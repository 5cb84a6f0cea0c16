"""Set-based statements for a batch's many rows, in the session's dialect.

psycopg sends an executemany as one message per row (pipeline mode), and a
statement with thousands of placeholders (a long IN list, a multi-row VALUES)
is re-parsed by psycopg at every execution, as it caches only short queries.
So on PostgreSQL the rows travel as a few array parameters and `unnest` turns
them back into rows: one short statement, one round trip, prepared once.
SQLite is in-process: its executemany and IN lists cost no round trip.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, Table, and_, any_, bindparam, column, func, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session


def on_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _array(table: Table, name: str, values: list):
    return bindparam(f"b_{name}", values, type_=postgresql.ARRAY(table.c[name].type))


def unnested(table: Table, rows: list[dict], names: tuple[str, ...]):
    """PostgreSQL: `rows` as a FROM clause of columns `names` (typed as the table's), from one array each."""
    arrays = [_array(table, name, [row[name] for row in rows]) for name in names]
    columns = (column(name, table.c[name].type) for name in names)
    return func.unnest(*arrays).table_valued(*columns).render_derived(name="v")


def is_in(session: Session, table: Table, name: str, values) -> ColumnElement[bool]:
    """`table.name IN values`; on PostgreSQL `= ANY(array)`, one parameter however many values."""
    if on_postgresql(session):
        return table.c[name] == any_(_array(table, name, list(values)))
    return table.c[name].in_(values)


def update_rows(session: Session, table: Table, keys: tuple[str, ...], columns: tuple[str, ...],
                rows: list[dict], **same) -> None:
    """Set `columns` (and the `same` values) of the rows matching each row's `keys`: one statement."""
    if not rows:
        return
    if on_postgresql(session):
        values = unnested(table, rows, keys + columns)
        stmt = update(table).where(and_(*(table.c[key] == values.c[key] for key in keys)))
        session.connection().execute(stmt.values({**{name: values.c[name] for name in columns}, **same}))
        return
    stmt = update(table).where(and_(*(table.c[key] == bindparam(f"b_{key}") for key in keys)))
    session.connection().execute(stmt.values({**{name: bindparam(f"b_{name}") for name in columns}, **same}),
                                 [{f"b_{name}": row[name] for name in keys + columns} for row in rows])


def select_unnested(table: Table, rows: list[dict], names: tuple[str, ...]):
    """PostgreSQL: SELECT the rows from their arrays, for an INSERT ... SELECT."""
    values = unnested(table, rows, names)
    return select(*(values.c[name] for name in names))
