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
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def on_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def plan_with_values(session: Session) -> None:
    """PostgreSQL: plan this transaction's statements with their parameters' values. psycopg prepares a statement
    run 5 times, and PostgreSQL's generic plan for `= ANY($1)` on a table without statistics yet (a new
    install) compares every row with every value of the array: 175 ms per batch, against 9 ms planned with the
    values (the array is then hashed)."""
    if on_postgresql(session):
        session.connection().exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")


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


def insert_new(session: Session, table: Table, rows: list[dict], unique: tuple[str, ...], *returning) -> list:
    """INSERT the rows, skipping those whose `unique` columns match a stored row; `returning` of those inserted."""
    if on_postgresql(session):
        names = tuple(rows[0])
        values = unnested(table, rows, names)
        stmt = postgresql.insert(table).from_select(names, select(*(values.c[name] for name in names)))
        return session.connection().execute(
            stmt.on_conflict_do_nothing(index_elements=list(unique)).returning(*returning)).all()
    # Parameters passed separately: the statement compiles once and is cached, and SQLAlchemy still sends
    # one multi-row INSERT.
    stmt = sqlite.insert(table).on_conflict_do_nothing(index_elements=list(unique)).returning(*returning)
    return session.connection().execute(stmt, rows).all()
