"""Queue tasks for webhooks: they take ids and call the service."""
from __future__ import annotations

from .. import extensions
from ..jobs import JobQueue
from . import processing
from .intake import PROCESS_TASK


def process_delivery(delivery_id: str) -> int:
    return processing.process_delivery(extensions.db(), delivery_id, extensions.config().hubspot_app_id)


def register(queue: JobQueue) -> None:
    # Retries cover a transient database error on the fast path; failures per event are recorded, not retried.
    queue.register(process_delivery, name=PROCESS_TASK, retries=3, retry_delay=5)
