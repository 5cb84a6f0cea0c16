"""`moulin-hubspot import orders FILE --store CODE`: read a history export, validate it, report bad records."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from tqdm import tqdm

from ..moulin.importer import ExportFormatError, error_report_line, import_orders
from ..moulin.records import Order
from . import load_app, main


@main.group(name="import")
def import_group() -> None:
    """Import history from Moulin export files."""


def _check_store(portal_id: int, code: str) -> None:
    from ..moulin.stores import find_store

    app = load_app()
    with app.app_context(), app.extensions["moulin.db"].session() as session:
        if find_store(session, portal_id, code) is None:
            raise click.ClickException(f"portal {portal_id} has no Moulin store {code!r}")


def _validate_only(order: Order) -> None:
    """The sync's entry point goes here once the sync area wires it; until then a run checks the file."""


@import_group.command(name="orders")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--store", "store_code", required=True, help="Code of the Moulin store the export comes from.")
@click.option("--portal", "portal_id", type=int, help="HubSpot portal id; checks the store is connected to it.")
@click.option("--errors", "errors_file", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write one line per bad record (line, record id, what was wrong) to this file.")
def import_orders_command(file: Path, store_code: str, portal_id: int | None, errors_file: Path | None) -> None:
    """Validate every order of FILE (.jsonl, or .csv with one row per order line) and report bad records.

    Valid orders go to `import_orders`'s `on_order` callback (see `_validate_only`).
    """
    if portal_id is not None:
        _check_store(portal_id, store_code)
    with tqdm(desc=f"orders {file.name}", unit=" orders", file=sys.stderr) as bar:
        try:
            summary = import_orders(file, store_code, _validate_only, on_row=lambda _row: bar.update(1))
        except ExportFormatError as error:
            raise click.ClickException(str(error)) from None
    lines = [error_report_line(row) for row in summary.errors]
    if errors_file is not None:
        errors_file.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    click.echo(f"{summary.read} orders read, {summary.imported} valid, {len(summary.errors)} with errors"
               + (f" (details in {errors_file})" if errors_file is not None and lines else ""))
    for line in lines[:10]:
        click.echo(f"  {line}", err=True)
    if len(lines) > 10:
        click.echo(f"  … and {len(lines) - 10} more", err=True)
