"""History import from files the sample store exports, through the service and the CLI."""
import pytest
from click.testing import CliRunner

from hubspot_app.cli import main
from hubspot_app.moulin.importer import ExportFormatError, import_orders, read_order_export
from hubspot_app.domain.records import Order, RecordError
from sandbox.moulin import SampleStore
from sandbox.moulin.export import write_export


@pytest.fixture(scope="module")
def store():
    return SampleStore(orders=90, seed=21, bad_records=0.1)


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_every_valid_order_is_imported_and_every_bad_one_reported(tmp_path, store, suffix):
    export = tmp_path / f"orders{suffix}"
    write_export(store, export)
    received: list[Order] = []
    summary = import_orders(export, "b2c", received.append)
    expected = list(store.live_orders())
    counts = store.count()
    assert summary.read == counts["orders"]
    assert [o.id for o in received] == [o.id for o in expected]
    assert received == expected  # CSV rows regroup into exactly the same orders
    assert len(summary.errors) == counts["bad_orders"] > 0
    assert all(row.line >= 1 and row.record.record_id and row.record.errors for row in summary.errors)


def test_csv_line_numbers_point_at_the_first_row_of_the_order(tmp_path):
    export = tmp_path / "orders.csv"
    header = "order_id,number,status,currency,subtotal,total,created_at,updated_at,line_id,line_title," \
             "line_quantity,line_unit_price\n"
    good = "A,N1,paid,EUR,3.00,3.00,2026-01-01T00:00:00Z,2026-01-01T00:00:00Z,{line},Farine,1,1.50\n"
    export.write_text(header + good.format(line="a1") + good.format(line="a2")
                      + "B,N2,paid,EUR,1.00,1.00,2026-01-01T00:00:00Z,2026-01-01T00:00:00Z,b1,\"Sel\nde Guérande\",-1,1.00\n"
                      + good.format(line="a3"), encoding="utf-8")
    rows = list(read_order_export(export, "b2c"))
    assert isinstance(rows[0].record, Order) and len(rows[0].record.lines) == 2 and rows[0].line == 2
    assert isinstance(rows[1].record, RecordError) and rows[1].line == 4
    assert rows[1].record.errors == ["lines.0.quantity: Input should be greater than 0"]
    assert rows[2].record.errors == ["order_id: lines of this order are not consecutive"] and rows[2].line == 6


def test_a_csv_without_the_required_columns_is_refused(tmp_path):
    export = tmp_path / "orders.csv"
    export.write_text("id,total\n1,2\n", encoding="utf-8")
    with pytest.raises(ExportFormatError, match="order_id"):
        list(read_order_export(export, "b2c"))


def test_cli_writes_the_error_report_and_summarises(tmp_path, store):
    export, report = tmp_path / "orders.jsonl", tmp_path / "errors.tsv"
    write_export(store, export)
    result = CliRunner().invoke(main, ["import", "orders", str(export), "--store", "b2c", "--dry-run",
                                         "--errors", str(report)])
    assert result.exit_code == 0, result.output
    counts = store.count()
    assert f"{counts['orders']} orders read, {counts['valid_orders']} valid, {counts['bad_orders']} with errors" \
        in result.stdout
    lines = report.read_text(encoding="utf-8").splitlines()
    assert len(lines) == counts["bad_orders"]
    assert all(line.startswith("line ") and line.count("\t") == 2 for line in lines)
    assert "orders orders.jsonl" in result.stderr  # the progress bar


def test_cli_refuses_an_unknown_file_type(tmp_path):
    export = tmp_path / "orders.xlsx"
    export.write_text("x")
    result = CliRunner().invoke(main, ["import", "orders", str(export), "--store", "b2c", "--dry-run"])
    assert result.exit_code != 0 and "expected a .jsonl or .csv" in result.output


@pytest.mark.db
def test_cli_checks_the_store_belongs_to_the_portal(app, make_config, tmp_path, store):
    from hubspot_app.db.models import Installation
    from hubspot_app.moulin.stores import connect_store

    config = make_config()
    with app.app_context(), app.extensions["moulin.db"].session() as session:
        session.add(Installation(portal_id=55))
        session.flush()
        connect_store(session, app.extensions["moulin.cipher"], 55, "b2c", "Boutique", "http://moulin.test", "k")
    env = {"SECRET_KEY": "s", "HUBSPOT_CLIENT_ID": "i", "HUBSPOT_CLIENT_SECRET": "c", "APP_BASE_URL": "https://a.test",
           "TOKEN_ENCRYPTION_KEYS": config.token_encryption_keys[0], "DATABASE_URL": config.database_url, "QUEUE_IMMEDIATE": "1"}
    export = tmp_path / "orders.jsonl"
    write_export(store, export)
    refused = CliRunner(env=env).invoke(main, ["import", "orders", str(export), "--store", "pro", "--portal", "55"])
    assert refused.exit_code != 0 and "portal 55 has no Moulin store 'pro'" in refused.output
    unknown = CliRunner(env=env).invoke(main, ["import", "orders", str(export), "--store", "pro"])
    assert unknown.exit_code != 0 and "no portal has a Moulin store 'pro'" in unknown.output
