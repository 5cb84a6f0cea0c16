"""The webhook worker's processing alone: a full inbox drained by `process_inbox`, in this process.

    python -m bench.webhook_drain --json
    python -m bench.webhook_drain --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test --json

`bench.webhooks` measures processing beside gunicorn, a niced worker and a backfill on the same cores, so its
`processed_per_s` moves with the machine's load. Here the same deliveries (`--deliveries` of 100 events: deletions
and restores of contacts and deals, 5,000 contact links) are received into the inbox first, then processed in
batches as the worker takes them, with nothing else running: `events_per_s` (wall), `cpu_us_per_event` (this
process: the database server's own time shows only in the wall) and `jobs`. Prints figures; asserts nothing.
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import bench_parser, machine, print_result
from bench.processes import scratch_database
from bench.webhooks import delivery, environment, prepare_database


class _NoQueue:
    """The receiver enqueues a job per delivery; here the inbox is drained by hand once all are in."""

    def enqueue(self, *_args) -> None:
        pass


def run(deliveries: int, database_url: str | None) -> dict:
    from hubspot_app import create_app, extensions
    from hubspot_app.webhooks import processing
    from hubspot_app.webhooks.intake import receive

    with tempfile.TemporaryDirectory() as tmp, scratch_database(database_url, Path(tmp)) as database:
        env = environment(Path(tmp), "http://127.0.0.1:9", database, None)
        prepare_database(env, links=5000)
        app = create_app(env)
        with app.app_context():
            inbox, db = extensions.webhook_inbox(), extensions.db()
            for batch in range(deliveries):
                receive(inbox, _NoQueue(), json.dumps(delivery(batch, 100)).encode())
            started, cpu_started, jobs, processed = time.perf_counter(), time.process_time(), 0, 0
            while taken := processing.process_inbox(db, inbox, extensions.config().hubspot_app_id):
                jobs, processed = jobs + 1, processed + taken
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            events = deliveries * 100
            result = {"events": events, "deliveries_taken": processed, "jobs": jobs, "wall_s": round(wall, 2),
                      "events_per_s": round(events / wall, 1), "cpu_us_per_event": round(cpu / events * 1e6, 1),
                      "database": "postgresql" if database_url else "sqlite"}
        db.dispose()
        inbox.dispose()
    return {**result, "machine": machine()}


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__)
    parser.add_argument("--deliveries", type=int, default=416, help="100-event deliveries (416: 41,600 events)")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server URL: the run makes a scratch database there (default: SQLite file)")
    return print_result(parser, argv, run)


if __name__ == "__main__":
    sys.exit(main())
