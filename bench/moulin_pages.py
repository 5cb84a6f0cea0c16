"""CPU of turning a Moulin listing's page into records: in one pass (`parse_page`) against record by record.

    python -m bench.moulin_pages --records 2000 --json

Record by record is the way a page with a bad record still takes (`json.loads`, then `parse_record` for each),
and the only way before issue 12's fourth session; the ratio is measured in the same run, on pages the sample
store serves (valid records only: a page holding a bad one goes record by record). Prints figures; asserts nothing.
"""
from __future__ import annotations

import json
import sys
import time

from bench.harness import bench_parser, machine, print_result
from hubspot_app.domain.records import Customer, Order, RecordError, parse_page, parse_record
from sandbox.moulin.store import SampleStore

MODELS = {"orders": Order, "customers": Customer}


def _best_us(parse, body: bytes, records: int, repeats: int) -> float:
    """The best of `repeats` runs, in µs per record: the least disturbed by the rest of the machine."""
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        parse(body)
        best = min(best, time.process_time() - started)
    return round(best / records * 1e6, 2)


def run(records: int, repeats: int) -> dict:
    store = SampleStore(orders=records * 3)
    result = {"records": records, "repeats": repeats}
    for name, model in MODELS.items():
        raw = [r for r in store.iter_raw(name) if not isinstance(parse_record(model, r), RecordError)][:records]
        body = json.dumps({"data": raw, "next_cursor": "c"}).encode()
        one_by_one = _best_us(lambda b: [parse_record(model, r) for r in json.loads(b)["data"]], body, len(raw),
                              repeats)
        one_pass = _best_us(lambda b: parse_page(model, b), body, len(raw), repeats)
        result[name] = {"record_by_record_us": one_by_one, "one_pass_us": one_pass,
                        "ratio": round(one_pass / one_by_one, 3), "page_bytes": len(body)}
    return {**result, "machine": machine()}


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__)
    parser.add_argument("--records", type=int, default=2000, help="records per page")
    parser.add_argument("--repeats", type=int, default=7)
    return print_result(parser, argv, run)


if __name__ == "__main__":
    sys.exit(main())
