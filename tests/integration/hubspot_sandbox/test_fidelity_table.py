"""The fidelity table in sandbox/hubspot/README.md keeps up with the sandbox: every route the Flask app registers
has a row, and every test a row names exists."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from sandbox.hubspot import SandboxState
from sandbox.hubspot.app import create_sandbox_app

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "sandbox" / "hubspot" / "README.md"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# `POST /crm/v3/objects/{objectType}/batch/create` in backticks names one route of the table.
ROUTE = re.compile(r"`((?:GET|POST|PUT|PATCH|DELETE)) (/[^`\s]*)`")
# `test_objects.py::test_basic_create_get_update_archive` names one test under tests/.
TEST = re.compile(r"`([\w/]+\.py)::(\w+)`")


def _table() -> str:
    text = README.read_text(encoding="utf-8")
    return text[text.index("## Fidelity table"):]


def _shape(path: str) -> str:
    """Parameter names differ (`<object_type_name>` in Flask, `{objectType}` in HubSpot's docs): compare shapes."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)


def _registered_routes() -> set[tuple[str, str]]:
    app = create_sandbox_app(SandboxState())
    return {(method, _shape(rule.rule)) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
            for method in rule.methods & set(METHODS)}


def test_every_registered_route_has_a_row():
    named = {(method, _shape(path)) for method, path in ROUTE.findall(_table())}
    missing = sorted(_registered_routes() - named)
    assert not missing, f"routes without a row in the fidelity table of {README.name}: {missing}"


def test_the_route_pattern_reads_a_row_as_a_reader_would():
    row = "| `GET /crm/v3/objects/{objectType}/{objectId}`, `PATCH /crm/objects/2026-03/{objectType}/{objectId}` |"
    assert {(m, _shape(p)) for m, p in ROUTE.findall(row)} == {
        ("GET", "/crm/v3/objects/{}/{}"), ("PATCH", "/crm/objects/2026-03/{}/{}")}


def _test_files() -> dict[str, list[Path]]:
    files: dict[str, list[Path]] = {}
    for path in (ROOT / "tests").rglob("test_*.py"):
        files.setdefault(path.name, []).append(path)
    return files


@pytest.mark.parametrize("kind", ["file", "test"])
def test_every_named_test_exists(kind):
    files = _test_files()
    problems = []
    for name, test in sorted(set(TEST.findall(_table()))):
        found = files.get(Path(name).name, [])
        if kind == "file" and len(found) != 1:
            problems.append(f"{name}: {len(found)} files of that name under tests/")
        if kind == "test" and len(found) == 1 and not re.search(rf"^def {test}\(", found[0].read_text(), re.M):
            problems.append(f"{name}::{test}")
    assert not problems, f"the fidelity table names tests that do not exist: {problems}"
