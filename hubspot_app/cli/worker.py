import click

from . import load_app, main


@main.command()
@click.option("--workers", default=2, show_default=True,
              help="Threads for real-time jobs (pushes, webhooks, the card's refresh) and the periodic schedule.")
@click.option("--bulk-workers", default=1, show_default=True,
              help="Threads for bulk jobs (backfill, poll, reconcile slices), apart so they never delay the others.")
def worker(workers: int, bulk_workers: int) -> None:
    """Run the job worker (Huey consumers of both queues) with its periodic jobs."""
    from ..jobs import REALTIME_POLLING
    from ..jobs.bulk import sweep

    app = load_app()
    queue = app.extensions["moulin.jobs"]
    with app.app_context():
        sweep()  # slices a killed worker left: resumed from their checkpoints now, not a minute later
    bulk = queue.bulk.create_consumer(workers=bulk_workers, worker_type="thread", periodic=False)
    realtime = queue.huey.create_consumer(workers=workers, worker_type="thread", periodic=True,
                                          **REALTIME_POLLING)
    bulk.start()
    try:
        realtime.run()  # until SIGINT/SIGTERM
    finally:
        bulk.stop(graceful=True)
