import click

from . import load_app, main


@main.command()
@click.option("--workers", default=2, show_default=True, help="Worker threads.")
def worker(workers: int) -> None:
    """Run the job worker (Huey consumer) with its periodic jobs."""
    app = load_app()
    huey = app.extensions["moulin.jobs"].huey
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
    consumer.run()
