"""History import: past orders from a Moulin export file (JSON Lines or CSV), validated one by one.

`read_order_export` reads and validates; `import_orders` hands each valid order
to `on_order` (the sync's entry point) and collects the errors. A bad line never
stops an import: it is reported with its line number, id and what was wrong.

CSV has one row per order LINE; rows of the same order are consecutive and
repeat the order's columns (header: `CSV_ORDER_COLUMNS + CSV_LINE_COLUMNS`,
documented in docs/moulin-import.md).
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from hubspot_app.domain.records import Order, RecordError, parse_record

CSV_ORDER_COLUMNS = ("order_id", "number", "status", "financial_status", "fulfillment_status", "currency",
                     "subtotal", "discounts", "taxes", "taxes_included", "shipping", "total", "refunded_amount",
                     "created_at", "updated_at", "cancelled_at", "cancel_reason", "customer_id", "company_id",
                     "pickup_point_id", "source", "note", "total_weight_grams", "landing_site",
                     "referring_site", "cart_token", "abandoned_checkout_url")
CSV_LINE_COLUMNS = ("line_id", "line_sku", "line_product_id", "line_variant_id", "line_title", "line_quantity",
                    "line_unit_price", "line_discount", "line_tax")
# Optional: the visitor's HubSpot tracking context at checkout (the Order's `tracking`, docs/attribution.md).
CSV_TRACKING_COLUMNS = ("tracking_hutk", "tracking_page_uri", "tracking_page_name", "tracking_ip_address")
REQUIRED_CSV_COLUMNS = ("order_id", "number", "status", "currency", "subtotal", "total", "created_at",
                        "updated_at", "line_id", "line_title", "line_quantity", "line_unit_price")


class ExportFormatError(ValueError):
    """The file as a whole cannot be read (unknown extension, CSV header without required columns)."""


@dataclass(frozen=True)
class ExportRow:
    line: int  # 1-based line of the file where the record starts
    record: Order | RecordError


@dataclass
class ImportSummary:
    read: int = 0
    imported: int = 0
    errors: list[ExportRow] = field(default_factory=list)


def _error(record_id, message: str) -> RecordError:
    return RecordError(kind="order", record_id=str(record_id) if record_id not in (None, "") else None,
                       errors=[message])


def _validate(raw: dict, store_code: str) -> Order | RecordError:
    # The export belongs to one store; a record naming another store is refused rather than re-labelled.
    raw.setdefault("store", store_code)
    if raw["store"] != store_code:
        return _error(raw.get("id"), f"store: {raw['store']!r} in a file imported for store {store_code!r}")
    return parse_record(Order, raw)


def _read_jsonl(path: Path, store_code: str) -> Iterator[ExportRow]:
    with path.open(encoding="utf-8-sig") as lines:
        for number, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            try:
                raw = json.loads(text)
            except json.JSONDecodeError as error:
                yield ExportRow(number, _error(None, f"not valid JSON: {error.msg} (column {error.colno})"))
                continue
            if not isinstance(raw, dict):
                yield ExportRow(number, _error(None, "a JSON object is expected on each line"))
                continue
            yield ExportRow(number, _validate(raw, store_code))


def _csv_value(value: str | None):
    return None if value is None or value.strip() == "" else value


def _csv_order(rows: list[tuple[int, dict]]) -> dict:
    first = rows[0][1]
    order = {column: _csv_value(first.get(column)) for column in CSV_ORDER_COLUMNS if column != "order_id"}
    order = {key: value for key, value in order.items() if value is not None}
    order["id"] = first["order_id"]
    if "taxes_included" in order:
        order["taxes_included"] = order["taxes_included"].strip().lower() in ("1", "true", "yes", "oui")
    order["lines"] = [{column[len("line_"):]: _csv_value(row.get(column)) for column in CSV_LINE_COLUMNS
                       if _csv_value(row.get(column)) is not None} for _, row in rows]
    tracking = {column[len("tracking_"):]: value for column in CSV_TRACKING_COLUMNS
                if (value := _csv_value(first.get(column))) is not None}
    if tracking:
        order["tracking"] = tracking
    return order


def _read_csv(path: Path, store_code: str) -> Iterator[ExportRow]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_CSV_COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise ExportFormatError(f"{path.name}: CSV header lacks {', '.join(missing)}")
        seen: set[str] = set()
        group: list[tuple[int, dict]] = []

        def flush() -> Iterator[ExportRow]:
            order_id = group[0][1]["order_id"]
            if order_id in seen:
                yield ExportRow(group[0][0], _error(order_id, "order_id: lines of this order are not consecutive"))
            else:
                seen.add(order_id)
                yield ExportRow(group[0][0], _validate(_csv_order(group), store_code))

        end = reader.line_num  # the header's last line
        for row in reader:
            # A quoted cell may hold newlines: the row starts just after the previous one ended.
            number, end = end + 1, reader.line_num
            if not (row.get("order_id") or "").strip():
                yield ExportRow(number, _error(None, "order_id: required"))
                continue
            if group and row["order_id"] != group[0][1]["order_id"]:
                yield from flush()
                group = []
            group.append((number, row))
        if group:
            yield from flush()


def read_order_export(path: str | Path, store_code: str) -> Iterator[ExportRow]:
    """Each order of the export, validated, with the line it starts on; streaming, any file size."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return _read_jsonl(path, store_code)
    if suffix == ".csv":
        return _read_csv(path, store_code)
    raise ExportFormatError(f"{path.name}: expected a .jsonl or .csv export")


def import_orders(path: str | Path, store_code: str, on_order: Callable[[Order], None],
                  on_row: Callable[[ExportRow], None] | None = None) -> ImportSummary:
    """Feed every valid order of the export to `on_order`; return the count and every bad record."""
    summary = ImportSummary()
    for row in read_order_export(path, store_code):
        summary.read += 1
        if isinstance(row.record, RecordError):
            summary.errors.append(row)
        else:
            on_order(row.record)
            summary.imported += 1
        if on_row is not None:
            on_row(row)
    return summary


def error_report_line(row: ExportRow) -> str:
    record = row.record
    return f"line {row.line}\t{record.record_id or '<no id>'}\t{'; '.join(record.errors)}"
