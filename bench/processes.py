"""The processes and scratch stores a benchmark starts: gunicorn and worker processes as the Procfile runs them,
a fresh database (SQLite file or a new PostgreSQL database), an empty Redis db."""
from __future__ import annotations

import secrets
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def start_worker(env: dict, threads: int, log: Path, bulk_threads: int = 1) -> subprocess.Popen:
    """A real `moulin-hubspot worker` process (Huey consumers), configured through the environment."""
    return subprocess.Popen([sys.executable, "-c", "from hubspot_app.cli import main; main()", "worker",
                             "--workers", str(threads), "--bulk-workers", str(bulk_threads)], env=env, cwd=ROOT,
                            stdout=open(log, "a"), stderr=subprocess.STDOUT)


def stop_process(process: subprocess.Popen) -> None:
    """Stop as Ctrl-C would, then reap it (so its CPU shows in `children_cpu_s`)."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()

@contextmanager
def scratch_database(url: str | None, default_dir: Path):
    """A fresh, empty database for one run: a SQLite file, or a new PostgreSQL database on the server that
    `url` names (created here, dropped after), so runs never share tables with tests or other runs."""
    if not url or url.startswith("sqlite"):
        yield url or f"sqlite:///{default_dir / 'bench.sqlite3'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"bench_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def own_redis_db(url: str):
    """Use a Redis database only if it is empty (no other run's queue or limiter in it) and no other client uses it
    (an earlier run's workers, left running, would take this run's jobs); empty it after."""
    import redis

    client = redis.Redis.from_url(url)
    if client.dbsize():
        raise SystemExit(f"Redis {url} is not empty: another run may be using it; pass --redis-url with a free db")
    db, me = client.connection_pool.connection_kwargs.get("db", 0), client.client_id()
    others = [c for c in client.client_list() if int(c.get("db", -1)) == db and int(c["id"]) != me]
    if others:
        raise SystemExit(f"Redis {url}: {len(others)} other client(s) connected to this db (an earlier run's workers "
                         f"still running?); stop them or pass --redis-url with a free db")
    try:
        yield url
    finally:
        for key in client.scan_iter(count=1000):
            client.delete(key)
        client.close()

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the app at {url} did not start")


def start_web(env: dict, port: int, workers: int, log: Path | None = None) -> subprocess.Popen:
    """The app under gunicorn, as the Procfile runs it."""
    from hubspot_app.web.access_log import GUNICORN_LOGGER_CLASS

    output = open(log, "a") if log else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
                             "--log-level", "warning", "--logger-class", GUNICORN_LOGGER_CLASS,
                             "hubspot_app:create_app()"], env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
