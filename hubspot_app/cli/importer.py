"""`moulin-hubspot import orders FILE --store CODE`: import a history export into HubSpot, reporting bad records."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from tqdm import tqdm

from ..moulin.importer import ExportFormatError, error_report_line, import_orders
from .. import extensions
from hubspot_app.domain.records import Order
from . import load_app, main


@main.group(name="import")
def import_group() -> None:
    """Import history from Moulin export files."""


def _portal_for(store_code: str, portal_id: int | None) -> int:
    """The portal to import into: the one given, or the only portal with that store."""
    from sqlalchemy import select

    from ..db.models import MoulinStore

    with extensions.db().session() as session:
        portals = session.scalars(select(MoulinStore.portal_id).where(MoulinStore.code == store_code)).all()
    if portal_id is not None:
        if portal_id not in portals:
            raise click.ClickException(f"portal {portal_id} has no Moulin store {store_code!r}")
        return portal_id
    if not portals:
        raise click.ClickException(f"no portal has a Moulin store {store_code!r}: connect it first, "
                                   "or check the file with --dry-run")
    if len(portals) > 1:
        raise click.ClickException(f"several portals have a store {store_code!r} ({', '.join(map(str, portals))}): "
                                   "choose one with --portal")
    return portals[0]


def _validate_only(order: Order) -> None:
    """--dry-run: the file is read and checked, nothing is sent."""


@import_group.command(name="orders")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--store", "store_code", required=True, help="Code of the Moulin store the export comes from.")
@click.option("--portal", "portal_id", type=int,
              help="HubSpot portal to import into (default: the only portal with that store).")
@click.option("--dry-run", is_flag=True, help="Only read and check the file; send nothing to HubSpot.")
@click.option("--errors", "errors_file", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write one line per bad record (line, record id, what was wrong) to this file.")
def import_orders_command(file: Path, store_code: str, portal_id: int | None, dry_run: bool,
                          errors_file: Path | None) -> None:
    """Import past orders from FILE (.jsonl, or .csv with one row per order line) into HubSpot.

    Every order is validated like a live one; bad records are reported with their line and what was wrong,
    the others are synced (deals, line items, contacts, companies) a chunk at a time. Safe to run again.
    """
    from contextlib import nullcontext

    from ..sync.imports import OrderImport

    app = None if dry_run else load_app()
    with app.app_context() if app else nullcontext():
        sink = _validate_only if dry_run else OrderImport(_portal_for(store_code, portal_id), store_code)
        with tqdm(desc=f"orders {file.name}", unit=" orders", file=sys.stderr) as bar:
            try:
                summary = import_orders(file, store_code, sink, on_row=lambda _row: bar.update(1))
            except ExportFormatError as error:
                raise click.ClickException(str(error)) from None
        report = None if dry_run else sink.flush()
    lines = [error_report_line(row) for row in summary.errors]
    if errors_file is not None:
        errors_file.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    if report is not None:
        click.echo(f"{report['orders']} orders synced to portal {report['portal_id']} "
                   f"in {report['hubspot_calls']} HubSpot calls; {report['errors']} sync errors")
    click.echo(f"{summary.read} orders read, {summary.imported} valid, {len(summary.errors)} with errors"
               + (f" (details in {errors_file})" if errors_file is not None and lines else ""))
    for line in lines[:10]:
        click.echo(f"  {line}", err=True)
    if len(lines) > 10:
        click.echo(f"  … and {len(lines) - 10} more", err=True)
