"""Queue tasks for webhooks: they take ids and call the service."""
from __future__ import annotations

from huey import crontab

from hubspot_app import extensions
from hubspot_app.jobs import JobQueue
from hubspot_app.webhooks import processing
from hubspot_app.webhooks.intake import PROCESS_TASK


def process_delivery(delivery_id: str) -> None:
    # Returns nothing: Huey stores any other return value, one more write to the queue per delivery, and the
    # outcome is already in the events' rows and the `webhook.delivery_processed` log line.
    processing.process_delivery(extensions.db(), delivery_id, extensions.config().hubspot_app_id)


def sweep_stale_deliveries() -> int:
    return processing.sweep_stale(extensions.db(), extensions.config().hubspot_app_id)


def register(queue: JobQueue) -> None:
    # Retries cover a transient database error while listing the delivery; failures per event are recorded.
    queue.register(process_delivery, name=PROCESS_TASK, retries=3, retry_delay=5)
    queue.register_periodic(sweep_stale_deliveries, crontab(minute="*"), name="webhooks.sweep_stale_deliveries")
