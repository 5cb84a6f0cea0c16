"""On SQLite, give the webhook receiver priority over the worker for the single write lock.

SQLite lets one connection write at a time and waiting writers poll with
growing sleeps, so a worker that commits chunk after chunk starves the
receiver, which must answer HubSpot within 5 seconds. Two file locks next to
the database settle who goes first:

- `.writer-priority`: receivers hold it shared while they write (they never
  wait for each other); the worker holds it exclusive for each short chunk, so
  a receiver waits at most one chunk and wakes the moment it ends.
- `.receivers`: receivers hold it shared from the moment they arrive; before
  each chunk the worker checks it and steps back while any receiver is there,
  so it cannot grab the lock again ahead of a receiver that was waiting.

Processing lags under a burst; answers do not. PostgreSQL locks rows, not the
database: there this is a no-op.
"""
from __future__ import annotations

import fcntl
import os
import time
from contextlib import ExitStack, contextmanager
from typing import Iterator

from sqlalchemy.engine import make_url

_STEP_BACK_S = 0.002


def _flock(stack: ExitStack, path: str, mode: int) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    stack.callback(os.close, fd)  # closing the descriptor releases its lock
    fcntl.flock(fd, mode)
    return fd


class WriterPriority:
    def __init__(self, database_url: str):
        url = make_url(database_url)
        database = url.database if url.get_backend_name() == "sqlite" else None
        self.path = f"{database}.writer-priority" if database and database != ":memory:" else None
        self.waiting_path = f"{database}.receivers" if self.path else None

    @contextmanager
    def receiver(self) -> Iterator[None]:
        with ExitStack() as stack:
            if self.path:
                _flock(stack, self.waiting_path, fcntl.LOCK_SH)
                _flock(stack, self.path, fcntl.LOCK_SH)
            yield

    @contextmanager
    def worker(self) -> Iterator[None]:
        with ExitStack() as stack:
            if self.path:
                self._wait_for_no_receivers()
                _flock(stack, self.path, fcntl.LOCK_EX)
            yield

    def _wait_for_no_receivers(self) -> None:
        fd = os.open(self.waiting_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return
                except BlockingIOError:
                    time.sleep(_STEP_BACK_S)
        finally:
            os.close(fd)
