"""The folder layout is the architecture (docs/architecture.md): these rules keep it so.

- `domain/` is pure: importing any of its modules loads no database, web, HTTP, SDK or queue library.
- Vendor libraries stay behind their adapters: the HubSpot SDK and `requests` only in `hubspot/` and `moulin/`,
  Huey only in `jobs/`.
"""
from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "hubspot_app"
FORBIDDEN_IN_DOMAIN = ("sqlalchemy", "flask", "requests", "hubspot", "huey", "redis", "authlib", "werkzeug")
ADAPTER_ONLY = {"hubspot": ("hubspot",), "requests": ("hubspot", "moulin"), "huey": ("jobs",)}


def _modules(folder: str) -> list[str]:
    return sorted(f"hubspot_app.{folder}.{p.stem}" for p in (PACKAGE / folder).glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("module", _modules("domain"))
def test_domain_module_loads_no_io_library(module):
    probe = (f"import sys, importlib; importlib.import_module({module!r}); "
             f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({FORBIDDEN_IN_DOMAIN!r})))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                            cwd=PACKAGE.parent).stdout.strip()
    assert loaded == "[]", f"{module} pulls in {loaded}: keep I/O out of domain/ (move it to a service or adapter)"


def _imported_roots(path: pathlib.Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.split(".")[0])
    return roots


def test_vendor_libraries_are_imported_only_by_their_adapters():
    misplaced = []
    for path in sorted(PACKAGE.rglob("*.py")):
        folder = path.relative_to(PACKAGE).parts[0]
        for library, allowed in ADAPTER_ONLY.items():
            if library in _imported_roots(path) and folder not in allowed:
                misplaced.append(f"{path.relative_to(PACKAGE.parent)} imports {library} (allowed in {allowed})")
    assert misplaced == []
