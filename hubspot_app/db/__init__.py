"""Database engine and unit of work.

`Database.session()` is the unit of work: one transaction, committed when the
block ends, rolled back on error. Services take a `Session`; they never commit
on their own unless they own the unit of work. One exception, on purpose:
`sync.orders.sync_orders` commits the session it is given before and after its
HubSpot calls, so no transaction is open while HubSpot answers (docs/sync.md).

SQLite's "database is locked" (another writer held the lock past the busy
timeout) leaves the unit of work as `DatabaseBusy`: transient, retried by jobs,
a 503 with Retry-After at the web edge like any outage.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import orjson
from sqlalchemy import create_engine, event, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ..clock import Clock, system_clock
from ..config import ConfigError
from .base import CLOCK_OPTION, Base


DEFAULT_BUSY_TIMEOUT_MS = 30_000


class DatabaseBusy(OperationalError):
    """SQLite refused a write because another connection held the lock too long: nothing was written, try later."""


def _is_lock_refusal(error: BaseException) -> bool:
    # SQLite's wording (sqlite3.OperationalError, SQLITE_BUSY / SQLITE_LOCKED): "database is locked",
    # "database table is locked"; https://www.sqlite.org/rescode.html#busy
    return isinstance(error, OperationalError) and not isinstance(error, DatabaseBusy) \
        and "is locked" in str(error.orig)


def _sqlite_pragmas(busy_timeout_ms: int):
    def on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets the web process read while a worker writes; foreign keys are off by default in SQLite.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()
    return on_connect


def _make_folder_of(database: str | None) -> None:
    # The default database lies in instance/, which a fresh clone does not have (git keeps no empty folder).
    if database in (None, "", ":memory:"):
        return
    try:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"DATABASE_URL: cannot create the folder of the SQLite file {database!r} "
                          f"({error.strerror})") from None


def _json_text(value) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def make_engine(url: str, clock: Clock = system_clock, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> Engine:
    # JSON columns through orjson: a backfill writes and reads a few JSON values per order (facts, links back,
    # customers seen), and the standard library's codec took 5% of a 10k backfill's CPU (py-spy).
    stamped = {"execution_options": {CLOCK_OPTION: clock}, "json_serializer": _json_text,
               "json_deserializer": orjson.loads}
    if url.startswith("sqlite"):
        _make_folder_of(make_url(url).database)
        # A file database keeps its connections: one closed beyond the pool's size must be reopened (and its
        # pragmas rerun) on the next busy moment, which under load was a steady cost on the card's path.
        pool = {"pool_size": 20, "max_overflow": 10} if make_url(url).database not in (None, "", ":memory:") else {}
        # No prepared statement is kept between executions (sqlite3 keeps 128 per connection by default). Most of
        # ours are `IN (...)` lists of up to 900 keys, each length a statement of its own, and a cached one holds
        # its program and its last bound values: a backfill's RSS crept with every chunk until each pooled
        # connection's cache was full (docs/sync.md, "Benchmarks"). Preparing again costs ~12 µs a statement.
        engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False,
                                                  "cached_statements": 0}, **pool, **stamped)
        event.listen(engine, "connect", _sqlite_pragmas(busy_timeout_ms))
        return engine
    # Every statement planned with its values: psycopg prepares a statement run 5 times, and PostgreSQL's generic
    # plan of `column = ANY($1)` (`one_of`) on a table without statistics yet (a new install, a restore) compares
    # every row with every key: 655 ms for 500 keys among 50,000 links, against 21 ms planned with them.
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10,
                         connect_args={"options": "-c plan_cache_mode=force_custom_plan"}, **stamped)


class Database:
    def __init__(self, url: str, clock: Clock = system_clock, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS):
        self.url = url
        self.engine = make_engine(url, clock, busy_timeout_ms)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException as error:
            session.rollback()
            if _is_lock_refusal(error):
                raise DatabaseBusy(error.statement, error.params, error.orig) from error
            raise
        finally:
            session.close()

    def create_all(self) -> None:
        """For tests and the embedded demo; deployments run Alembic migrations."""
        from . import models  # noqa: F401  (registers every table)
        Base.metadata.create_all(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


__all__ = ["Base", "Database", "DatabaseBusy"]
