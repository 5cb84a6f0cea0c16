"""The job queue: Huey, embedded (SQLite file) by default, Redis when REDIS_URL is set.

Tasks are plain functions registered by each area's `tasks` module through
`JobQueue.register`; every task runs inside the Flask app context, takes ids
(never objects) and calls one service. Retrying is decided by the error type:
a task raises `TransientError` (or `huey.exceptions.RetryTask`) to be retried,
anything else is final and is recorded by the task itself.

Two queues in the same storage: real-time work (pushes, webhooks, the card's
refresh, set-up) and bulk work (backfill, poll, reconcile slices, registered
with `bulk=True`). The worker consumes each with its own threads, so a
portal's push never waits behind another portal's import.
"""
from __future__ import annotations

import functools
import sqlite3
from pathlib import Path
from typing import Any, Callable

from flask import Flask
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey.api import TaskWrapper

from ..config import Config, ConfigError
from ..metrics import flush_usage


REALTIME_QUEUE = "moulin-hubspot"
BULK_QUEUE = "moulin-hubspot-bulk"

# Huey's consumer polls a non-blocking storage (SQLite) with a back-off from 0.1 s up to 10 s when idle
# (https://github.com/coleifer/huey/blob/master/docs/consumer.rst, --delay/--max-delay/--backoff), so a push
# after a quiet minute waited seconds. The real-time consumer polls every 0.1 s instead: one indexed SELECT
# per thread, negligible. With Redis, RedisHuey's storage blocks on BRPOP (`blocking=True`, Huey's default)
# and the consumer never sleeps between reads (huey/consumer.py `Worker.loop`), so these only matter on SQLite.
REALTIME_POLLING = {"initial_delay": 0.1, "max_delay": 0.1, "backoff": 1.0}


def make_huey(config: Config, name: str = REALTIME_QUEUE) -> Huey:
    if config.queue_immediate:
        # Tests and one-shot CLI runs: every enqueued task runs inline, at once.
        return MemoryHuey(name, immediate=True)
    if config.redis_url:
        return RedisHuey(name, url=config.redis_url)
    return _sqlite_huey(config.queue_path, name)


def _sqlite_huey(path: str, name: str) -> SqliteHuey:
    try:
        # The default QUEUE_PATH lies in instance/, which a fresh clone does not have (git keeps no empty folder).
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name, filename=path)
    except (OSError, sqlite3.Error) as error:
        raise ConfigError(f"QUEUE_PATH: cannot open the job queue file {path!r} ({error}); set QUEUE_PATH to a "
                          f"writable file, or REDIS_URL to use Redis") from None


class JobQueue:
    def __init__(self, app: Flask, huey: Huey, bulk: Huey):
        self.app = app
        self.huey = huey
        self.bulk = bulk
        self._tasks: dict[str, TaskWrapper] = {}

    def register(self, fn: Callable, *, name: str | None = None, retries: int = 0,
                 retry_delay: int = 0, priority: int | None = None, bulk: bool = False) -> TaskWrapper:
        name = name or fn.__name__
        app = self.app

        @functools.wraps(fn)
        def in_app_context(*args, **kwargs):
            with app.app_context():
                try:
                    return fn(*args, **kwargs)
                finally:  # the job's transactions are closed: its HubSpot usage joins every process's
                    flush_usage(app.extensions["moulin.db"])

        task = (self.bulk if bulk else self.huey).task(name=name, retries=retries, retry_delay=retry_delay,
                              priority=priority)(in_app_context)
        self._tasks[name] = task
        return task

    def register_periodic(self, fn: Callable, validate_datetime, *, name: str | None = None) -> None:
        name = name or fn.__name__
        app = self.app

        @functools.wraps(fn)
        def in_app_context():
            with app.app_context():
                return fn()

        self._tasks[name] = self.huey.periodic_task(validate_datetime, name=name)(in_app_context)

    def enqueue(self, name: str, *args: Any, **kwargs: Any):
        return self._tasks[name](*args, **kwargs)

    def enqueue_in(self, delay_s: float, name: str, *args: Any, **kwargs: Any):
        return self._tasks[name].schedule(args, kwargs, delay=delay_s)

    def pending_count(self) -> int:
        return self.huey.pending_count() + self.bulk.pending_count()

    def __contains__(self, name: str) -> bool:
        return name in self._tasks
