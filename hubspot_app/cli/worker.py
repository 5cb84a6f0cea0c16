import click

from . import load_app, main


@main.command()
@click.option("--workers", default=2, show_default=True,
              help="Threads for real-time jobs (pushes, webhooks, the card's refresh) and the periodic schedule.")
@click.option("--bulk-workers", default=1, show_default=True,
              help="Threads for bulk jobs (backfill, poll, reconcile slices), apart so they never delay the others.")
def worker(workers: int, bulk_workers: int) -> None:
    """Run the job worker (Huey consumers of both queues) with its periodic jobs."""
    from ..jobs.bulk import sweep

    app = load_app()
    queue = app.extensions["moulin.jobs"]
    with app.app_context():
        sweep()  # slices a killed worker left: resumed from their checkpoints now, not a minute later
    realtime, bulk = consumers(queue, workers, bulk_workers)
    bulk.start()
    try:
        realtime.run()  # until SIGINT/SIGTERM
    finally:
        bulk.stop(graceful=True)


def consumers(queue, workers: int, bulk_workers: int):
    """(the real-time consumer, with the periodic jobs; the bulk one). The real-time one polls every 0.1 s even
    when idle (`REALTIME_POLLING`), so a push after a quiet hour is not left to Huey's back-off."""
    from ..jobs import REALTIME_POLLING

    return (queue.huey.create_consumer(workers=workers, worker_type="thread", periodic=True, **REALTIME_POLLING),
            queue.bulk.create_consumer(workers=bulk_workers, worker_type="thread", periodic=False))
