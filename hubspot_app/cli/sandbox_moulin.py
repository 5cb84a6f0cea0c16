"""`moulin-hubspot sandbox moulin`: run the sample Moulin store on a local port."""
from __future__ import annotations

import threading

import click

from . import sandbox


@sandbox.command(name="moulin")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8766, show_default=True, type=int)
@click.option("--orders", default=1000, show_default=True, type=click.IntRange(min=0))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--bad-records", default=0.0, show_default=True, type=click.FloatRange(0, 1),
              help="Share of deliberately invalid records.")
@click.option("--store", "store_code", default="b2c", show_default=True)
@click.option("--api-key", default="sample-key", show_default=True)
def moulin(host: str, port: int, orders: int, seed: int, bad_records: float, store_code: str, api_key: str) -> None:
    """Serve a deterministic sample Moulin store (docs/moulin-api.yaml) until interrupted."""
    from sandbox.moulin import start_sample_store

    store, server = start_sample_store(host=host, port=port, orders=orders, seed=seed, bad_records=bad_records,
                                       store_code=store_code, api_key=api_key)
    click.echo(f"Moulin sample store {store_code!r}: {orders} orders, seed {seed}")
    click.echo(f"base URL: {server.url}")
    click.echo(f"API key:  {store.api_key}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
