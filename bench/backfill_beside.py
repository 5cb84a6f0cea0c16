"""A real `moulin-hubspot sync backfill` writing beside a benchmark, with its stand-ins (the HubSpot sandbox and
a sample store) in a process of their own: their CPU stays out of the benchmark's process, whose client threads
time what is measured (a store building a page of 1,000 orders holds that interpreter's lock for a good part of
a second)."""
from __future__ import annotations

import multiprocessing
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

from bench.harness import StandIns, install
from bench.processes import ROOT, stop_process


@contextmanager
def backfill_running(env: dict, stand_ins: StandIns, orders: int, log: Path):
    """A real `moulin-hubspot sync backfill` process on the benchmark's database, already calling HubSpot."""
    from hubspot_app import create_app

    store, server = stand_ins.add_store(orders, seed=1)
    app = create_app(env)
    portal_id = install(app, stand_ins, store, server.url).portal_id
    app.extensions["moulin.db"].dispose()
    started = time.time()
    # At the worker's CPU priority (`nice -n 10`, as bench.webhooks starts it): in production the backfill is a
    # bulk job of the worker dyno.
    process = subprocess.Popen(["nice", "-n", "10", sys.executable, "-c", "from hubspot_app.cli import main; main()",
                                "sync", "backfill", "--portal", str(portal_id)], env=env, cwd=ROOT,
                               stdout=open(log, "a"), stderr=subprocess.STDOUT)
    try:
        while not stand_ins.calls(portal_id, since=started) and process.poll() is None:
            time.sleep(0.05)
        yield process
    finally:
        stop_process(process)


def backfill_side(conn) -> None:
    """The spawned process serving the backfill's stand-ins and running it. Talks over `conn`: sends the
    sandbox's address, takes (env, orders, log), says "running" once the backfill calls HubSpot, then answers
    "running?" until told to stop."""
    with StandIns() as stand_ins:
        conn.send(stand_ins.hubspot.url)
        message = conn.recv()
        if message == "stop":  # the run ended before it needed a backfill
            return
        env, orders, log = message
        with backfill_running(env, stand_ins, orders, log) as process:
            conn.send("running")
            while conn.recv() == "running?":
                conn.send(process.poll() is None)


@contextmanager
def backfill_process():
    """The other end of `backfill_side`, started in a fresh interpreter and stopped on leaving."""
    conn, theirs = multiprocessing.Pipe()
    side = multiprocessing.get_context("spawn").Process(target=backfill_side, args=(theirs,))
    side.start()
    try:
        yield conn
    finally:
        conn.send("stop")
        side.join(timeout=60)
        if side.is_alive():
            side.kill()


def start_backfill(side, env: dict, orders: int, log: Path) -> Callable[[], bool]:
    """Has `backfill_side` start the backfill on `env`; returns the question "is it still running?"."""
    side.send((env, orders, log))
    side.recv()  # "running": the backfill calls HubSpot

    def running_now() -> bool:
        side.send("running?")
        return side.recv()
    return running_now
