import click

from hubspot_app.domain.store_settings import DEALS, TARGETS
from . import main


@main.command()
@click.option("--orders", default=2000, show_default=True, help="Orders in the sample Moulin store.")
@click.option("--seed", default=7, show_default=True, help="Seed of the sample store's generator.")
@click.option("--port", default=0, help="App port on 127.0.0.1 (default: a free one).")
@click.option("--exit-after-sync", is_flag=True, help="Stop once the backfill is done instead of serving.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary on stdout (people's text goes to stderr).")
@click.option("--workdir", type=click.Path(file_okay=False), help="Where the demo keeps its database and logs.")
@click.option("--target", type=click.Choice(TARGETS), default=DEALS, show_default=True,
              help="Where the store's orders go in HubSpot: deals, HubSpot's orders, or both.")
def demo(orders: int, seed: int, port: int, exit_after_sync: bool, as_json: bool, workdir: str | None,
         target: str) -> None:
    """Run everything on loopback: HubSpot sandbox, sample Moulin store, the app and a worker; install and sync."""
    from sandbox.demo import DemoOptions, run

    run(DemoOptions(orders=orders, seed=seed, port=port, exit_after_sync=exit_after_sync, as_json=as_json,
                    workdir=workdir, target=target))
