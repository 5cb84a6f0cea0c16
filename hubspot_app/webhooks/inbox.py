"""Where the receiver keeps deliveries as received (`webhook_deliveries`) until the worker has processed them.

On PostgreSQL it is a table of the app's database: writers lock rows, not the
database. SQLite has one writer per file, and the backfill's write
transactions hold that lock for seconds (docs/webhooks.md, "SQLite and the
receiver's latency"): a receiver inserting into the same file waits for them.
So with a SQLite file the inbox is a file of its own beside it
(`<name>-webhook-inbox.sqlite3`), which only the receivers and the worker's
final DELETE write, each for a millisecond or two.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.schema import CreateIndex, CreateTable

from ..clock import Clock, system_clock
from ..db import DEFAULT_BUSY_TIMEOUT_MS, Database
from ..db.models.webhooks import ReceivedDelivery

INBOX_SUFFIX = "-webhook-inbox"


def inbox_url(database_url: str) -> str | None:
    """The SQLite file of the inbox for a SQLite file database; None when the inbox is the database's own table."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    path = Path(url.database)
    return url.set(database=str(path.with_name(path.stem + INBOX_SUFFIX + path.suffix))).render_as_string(False)


def open_inbox(database: Database, clock: Clock = system_clock,
               busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> Database:
    url = inbox_url(database.url)
    if url is None:
        return database
    inbox = Database(url, clock, busy_timeout_ms)
    # Alembic migrates the app's database; this file holds one table, made here by whichever process opens it
    # first (IF NOT EXISTS: web workers and the worker start together).
    table = ReceivedDelivery.__table__
    with inbox.engine.begin() as connection:
        connection.execute(CreateTable(table, if_not_exists=True))
        for index in table.indexes:
            connection.execute(CreateIndex(index, if_not_exists=True))
    return inbox
