"""A deployer's first start: the Procfile's release, worker and web from a fresh clone, only required settings."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.procfile_support import (ROOT, free_port, healthz_answers, procfile, required_settings, run, start, stop,
                                    wait_for)

pytestmark = pytest.mark.e2e


def fresh_clone(target: Path) -> Path:
    """The files a `git clone` would bring (tracked, plus new ones not yet committed): no instance/, no .venv."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target


def test_procfile_commands_start_from_a_fresh_clone(tmp_path):
    clone = fresh_clone(tmp_path / "clone")
    assert not (clone / "instance").exists()
    port = free_port()
    env = dict(required_settings(tmp_path, port, code=clone), WEB_CONCURRENCY="1", WORKER_THREADS="1")
    commands = procfile(clone)

    release = run(commands["release"], env, clone)
    assert release.returncode == 0, release.stdout + release.stderr

    worker_log, web_log = tmp_path / "worker.log", tmp_path / "web.log"
    worker = start(commands["worker"], env, clone, worker_log)
    web = start(commands["web"], env, clone, web_log)
    try:
        wait_for(lambda: healthz_answers(port), web, web_log, "web answers /healthz")
        wait_for(lambda: "consumer started" in worker_log.read_text(), worker, worker_log, "worker consumes")
    finally:
        stop(web)
        stop(worker)
    assert (clone / "instance" / "queue.sqlite3").is_file()  # the default QUEUE_PATH, its folder made at start


def test_a_queue_file_that_cannot_be_made_stops_start_up_naming_the_settings(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    env = dict(required_settings(tmp_path, free_port()), QUEUE_PATH=str(tmp_path / "a-file" / "queue.sqlite3"))
    worker = run(procfile()["worker"], env, ROOT, timeout=60)
    assert worker.returncode != 0
    assert "Traceback" not in worker.stderr
    assert "QUEUE_PATH" in worker.stderr and "REDIS_URL" in worker.stderr, worker.stderr
