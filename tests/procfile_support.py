"""Run the Procfile's commands as the platform does: each line through a shell, in its own process group."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


def procfile(root: Path = ROOT) -> dict[str, str]:
    lines = (line.partition(":") for line in (root / "Procfile").read_text().splitlines() if line.strip())
    return {name.strip(): command.strip() for name, _, command in lines}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def required_settings(workdir: Path, port: int, code: Path = ROOT) -> dict[str, str]:
    """Only what a deployer must set (README), with DATABASE_URL and no REDIS_URL, plus the platform's PORT.

    PYTHONPATH makes the commands run `code`'s package, not whichever checkout the virtualenv installed."""
    return {
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(code),
        "PORT": str(port),
        "SECRET_KEY": "procfile-test-secret",
        "HUBSPOT_CLIENT_ID": "procfile-client",
        "HUBSPOT_CLIENT_SECRET": "procfile-client-secret",
        "APP_BASE_URL": "https://app.procfile.test",
        "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DATABASE_URL": f"sqlite:///{workdir / 'app.sqlite3'}",
    }


def run(command: str, env: dict[str, str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", command], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def start(command: str, env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(["bash", "-c", f"exec {command}"], env=env, cwd=cwd, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_for(condition, process: subprocess.Popen, log: Path, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if process.poll() is not None:
            raise AssertionError(f"{what}: the process exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout} s:\n{log.read_text()[-3000:]}")


def healthz_answers(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False
