"""One place listing every area's tasks, so the web process and the worker register the same set."""
from __future__ import annotations

from . import JobQueue


def register_tasks(queue: JobQueue) -> None:
    from hubspot_app.jobs import marketing_tasks as marketing_tasks
    from hubspot_app.jobs import sync_tasks as sync_tasks
    from hubspot_app.jobs import webhook_tasks as webhooks_tasks

    sync_tasks.register(queue)
    webhooks_tasks.register(queue)
    marketing_tasks.register(queue)
