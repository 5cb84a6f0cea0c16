"""One place listing every area's tasks, so the web process and the worker register the same set."""
from __future__ import annotations

from . import JobQueue


def register_tasks(queue: JobQueue) -> None:
    # Each area adds one line here: `from ..area import tasks as area_tasks; area_tasks.register(queue)`.
    from ..webhooks import tasks as webhooks_tasks; webhooks_tasks.register(queue)  # noqa: E702
    from ..sync import tasks as sync_tasks; sync_tasks.register(queue)  # noqa: E702
