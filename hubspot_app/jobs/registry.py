"""One place listing every area's tasks, so the web process and the worker register the same set."""
from __future__ import annotations

from . import JobQueue


def register_tasks(queue: JobQueue) -> None:
    from ..attribution import tasks as marketing_tasks
    from ..sync import tasks as sync_tasks
    from ..webhooks import tasks as webhooks_tasks

    sync_tasks.register(queue)
    webhooks_tasks.register(queue)
    marketing_tasks.register(queue)
