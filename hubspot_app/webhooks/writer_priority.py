"""On SQLite, give the webhook receiver priority over the worker for the single write lock.

SQLite lets one connection write at a time and waiting writers poll with
growing sleeps, so a worker that commits chunk after chunk starves the
receiver, which must answer HubSpot within 5 seconds. A file lock next to
the database settles who goes first: receivers hold it shared (they never wait
for each other), the worker takes it exclusive for each short chunk. Receivers
blocked by a chunk wake the moment it ends, and the worker waits while any
receiver is writing; processing lags under a burst, answers do not.
PostgreSQL locks rows, not the database: there this is a no-op.
"""
from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy.engine import make_url


class WriterPriority:
    def __init__(self, database_url: str):
        url = make_url(database_url)
        database = url.database if url.get_backend_name() == "sqlite" else None
        self.path = f"{database}.writer-priority" if database and database != ":memory:" else None

    @contextmanager
    def _locked(self, mode: int) -> Iterator[None]:
        if self.path is None:
            yield
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, mode)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def receiver(self):
        return self._locked(fcntl.LOCK_SH)

    def worker(self):
        return self._locked(fcntl.LOCK_EX)
