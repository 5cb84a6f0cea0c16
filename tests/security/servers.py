"""The app behind real HTTP servers on loopback (Werkzeug's and gunicorn), for what a test client cannot show."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from hubspot_app import create_app
from sandbox.serving import serve_in_thread
from tests.procfile_support import free_port

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def werkzeug_server(app):
    running = serve_in_thread(app)
    try:
        yield running.url
    finally:
        running.stop()


@contextlib.contextmanager
def gunicorn_server(tmp_path: Path, **env):
    """gunicorn as the Procfile runs it (sync workers), configured from the environment."""
    port = free_port()
    settings = {
        "SECRET_KEY": "s", "HUBSPOT_CLIENT_ID": "id", "HUBSPOT_CLIENT_SECRET": "test-client-secret",
        "APP_BASE_URL": "https://app.test", "TOKEN_ENCRYPTION_KEYS": "a" * 64,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'gunicorn.sqlite3'}", "QUEUE_PATH": str(tmp_path / "queue.sqlite3"),
        **env,
    }
    app = create_app(settings)  # the schema, as the release phase would leave it
    app.extensions["moulin.db"].create_all()
    app.extensions["moulin.db"].dispose()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "hubspot_app:create_app()"],
        cwd=ROOT, env={**os.environ, **settings}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {process.stderr.read().decode()[-2000:]}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
