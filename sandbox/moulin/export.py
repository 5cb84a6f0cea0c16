"""Write the sample store's orders as a Moulin history export (JSON Lines or CSV), for import tests and demos."""
from __future__ import annotations

import csv
import json
from pathlib import Path

from hubspot_app.moulin.importer import CSV_LINE_COLUMNS, CSV_ORDER_COLUMNS, CSV_TRACKING_COLUMNS

from .store import SampleStore


def write_export(store: SampleStore, path: str | Path) -> int:
    """Write every listed order (bad ones included, as Moulin would) to `path`; returns the order count."""
    path = Path(path)
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = None
        if path.suffix == ".csv":
            writer = csv.DictWriter(handle, fieldnames=CSV_ORDER_COLUMNS + CSV_TRACKING_COLUMNS + CSV_LINE_COLUMNS)
            writer.writeheader()
        for order in store.iter_raw("orders"):
            count += 1
            if writer is None:
                handle.write(json.dumps(order, ensure_ascii=False) + "\n")
                continue
            head = {c: order.get("id" if c == "order_id" else c) for c in CSV_ORDER_COLUMNS}
            head |= {c: (order.get("tracking") or {}).get(c[len("tracking_"):]) for c in CSV_TRACKING_COLUMNS}
            for line in order.get("lines") or []:
                writer.writerow({**head, **{f"line_{k}": v for k, v in line.items() if f"line_{k}" in CSV_LINE_COLUMNS}})
    return count
