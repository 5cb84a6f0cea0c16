"""Self-hosting files: compose.yaml parses and runs what the app needs; the Dockerfile runs it as a non-root user.

The app's settings come from app.json (the Heroku button's list): a container must be given the same ones.
"""
from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def command_of(service: dict) -> str:
    command = service.get("command")
    return " ".join(command) if isinstance(command, list) else (command or "")


def test_compose_runs_web_worker_and_migrations_from_one_image_with_postgresql_and_redis():
    services = compose()["services"]
    assert set(services) == {"migrate", "web", "worker", "postgres", "redis"}
    app_services = [services[name] for name in ("migrate", "web", "worker")]
    assert {(s["build"], s["image"]) for s in app_services} == {(".", "moulin-hubspot:latest")}
    assert services["postgres"]["image"].startswith("postgres:") and services["redis"]["image"].startswith("redis:")
    assert "moulin-hubspot db upgrade" == command_of(services["migrate"]) == procfile()["release"]
    assert "moulin-hubspot worker" in command_of(services["worker"])
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert services[name]["depends_on"]["redis"] == {"condition": "service_healthy"}
    assert services["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}


def test_compose_gives_the_app_every_setting_app_json_names_plus_its_database_and_redis():
    app_json = json.loads((ROOT / "app.json").read_text())["env"]
    needed = {name for name, spec in app_json.items() if spec.get("required") or spec.get("generator")}
    for name in ("migrate", "web", "worker"):
        environment = compose()["services"][name]["environment"]
        assert needed <= set(environment), needed - set(environment)
        assert environment["DATABASE_URL"].startswith("postgresql+psycopg://") and "@postgres:5432/" in \
            environment["DATABASE_URL"]
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        for secret in ("SECRET_KEY", "TOKEN_ENCRYPTION_KEYS", "HUBSPOT_CLIENT_SECRET"):
            # no default: compose refuses to start without it, and says which one is missing
            assert re.fullmatch(r"\$\{%s:\?[^}]+\}" % secret, environment[secret]), environment[secret]


def test_the_image_runs_as_a_non_root_user_and_serves_the_procfiles_web_app():
    dockerfile = (ROOT / "Dockerfile").read_text()
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    assert users and users[-1] not in ("root", "0")
    [cmd] = re.findall(r"^CMD\s+(.+)$", dockerfile, re.M)
    web = procfile()["web"]
    app_target = shlex.split(web)[1]
    assert app_target == "hubspot_app:create_app()" and f"'{app_target}'" in json.loads(cmd)[-1]
    assert (ROOT / ".dockerignore").read_text().count(".venv") == 1
