"""Queue tasks for webhooks: they take ids (here: none, the inbox is the input) and call the service."""
from __future__ import annotations

from huey import crontab

from hubspot_app import extensions
from hubspot_app.jobs import JobQueue
from hubspot_app.webhooks import processing
from hubspot_app.webhooks.intake import PROCESS_TASK


def process_inbox() -> None:
    # One job per delivery received; each takes whatever waits in the inbox (up to a batch), so under load a job
    # handles many deliveries at once and the later ones find nothing left. Returns nothing: Huey stores any
    # other return value, one more write to the queue per job.
    processing.process_inbox(extensions.db(), extensions.webhook_inbox(), extensions.config().hubspot_app_id)


def sweep_stale_deliveries() -> int:
    return processing.sweep_stale(extensions.db(), extensions.webhook_inbox(), extensions.config().hubspot_app_id)


def register(queue: JobQueue) -> None:
    # Retries cover a transient database error; the deliveries stay in the inbox meanwhile, failures per event
    # are recorded on the event.
    queue.register(process_inbox, name=PROCESS_TASK, retries=3, retry_delay=5)
    queue.register_periodic(sweep_stale_deliveries, crontab(minute="*"), name="webhooks.sweep_stale_deliveries")
