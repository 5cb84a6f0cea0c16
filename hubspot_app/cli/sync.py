import json

import click

from . import load_app, main


@main.group()
def sync() -> None:
    """Sync Moulin orders into HubSpot."""


def _print(report: dict) -> None:
    click.echo(json.dumps(report, indent=2, default=str))


@sync.command()
@click.option("--portal", "portal_id", type=int, required=True, help="HubSpot portal (account) id.")
@click.option("--store", "store_code", default=None, help="Only this store's code.")
@click.option("--chunk", type=click.IntRange(min=1), default=None,
              help="Orders per unit of work (checkpoint)  [default: the backfill's own]")
def backfill(portal_id: int, store_code: str | None, chunk: int | None) -> None:
    """Sync all order history. Resumable: run it again after a crash, it continues where it stopped."""
    from tqdm import tqdm

    from ..sync.backfill import CHUNK, backfill as run

    app = load_app()
    with app.app_context(), tqdm(unit="order", desc=f"portal {portal_id}") as bar:
        try:
            report = run(portal_id, store_code, chunk=chunk or CHUNK, progress=bar.update)
        except ValueError as error:
            raise click.ClickException(str(error)) from None
    _print(report)


@sync.command()
@click.option("--portal", "portal_id", type=int, required=True)
@click.option("--force", is_flag=True, help="Check every property and the pipeline again.")
def setup(portal_id: int, force: bool) -> None:
    """Create the Moulin property group, properties and pipeline in a portal (idempotent)."""
    from ..sync.engine import setup_portal

    app = load_app()
    with app.app_context():
        _print(setup_portal(portal_id, force=force))


@sync.command("company-identity")
@click.option("--portal", "portal_id", type=int, required=True)
@click.option("--by", "identity", type=click.Choice(["siret", "vat", "domain", "account"]), required=True,
              help="siret, vat or domain: one company per legal entity across stores; account: one per store account.")
def company_identity(portal_id: int, identity: str) -> None:
    """Choose what makes two Moulin B2B accounts one HubSpot company (the portal's setting)."""
    from .. import extensions
    from ..sync.setup import set_company_identity

    app = load_app()
    with app.app_context(), extensions.db().session() as session:
        try:
            row = set_company_identity(session, portal_id, identity)
        except ValueError as error:
            raise click.ClickException(str(error)) from None
        _print({"portal_id": portal_id, "company_identity": row.company_identity})


@sync.command()
@click.option("--portal", "portal_id", type=int, required=True)
def reconcile(portal_id: int) -> None:
    """Compare HubSpot with Moulin now and heal differences (what the nightly job does)."""
    from ..sync.reconcile import reconcile as run

    app = load_app()
    with app.app_context():
        _print(run(portal_id))
