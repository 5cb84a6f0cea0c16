"""Write the HubSpot project (crm_cards/) for one deployment, then check it with HubSpot's project parser.

The committed project names a placeholder host. A deployment needs its own URL in
four places: the OAuth redirect URL and the cards' permitted fetch URL
(app-hsmeta.json), the webhook target (webhooks-hsmeta.json) and the URL the cards
call (backend.js, which must sit under the permitted fetch URL). Support contacts
follow the same host until the deployer edits them. Tests, node_modules and the
cards' test config stay behind: they are not part of what `hs project upload` needs.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PROJECT = Path(__file__).resolve().parents[2] / "crm_cards"
CARDS = PROJECT / "src" / "app" / "cards"
CHECKER = Path(__file__).resolve().parent / "check_project.mjs"
LEFT_BEHIND = shutil.ignore_patterns("node_modules", "__tests__", "vitest.config.js")
BACKEND_URL_LINE = re.compile(r"^export const BACKEND_URL = '[^']*';$", re.M)
# HubSpot refuses these hosts for hubspot.fetch; a redirect URL on them cannot serve a real install either.
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}


class ProjectError(Exception):
    """The base URL or the written project is not one HubSpot would accept; the message says why."""


@dataclass(frozen=True)
class WrittenProject:
    path: Path
    base_url: str
    components: list[dict]  # what HubSpot's parser read: uid, type, config


def deployment_base_url(raw: str) -> str:
    """`https://host[:port][/prefix]`, without a trailing slash; anything else is refused with the reason."""
    parts = urlsplit(raw.strip())
    if parts.scheme != "https":
        raise ProjectError(f"--base-url {raw!r}: must start with https:// (HubSpot calls the app over HTTPS only)")
    if parts.hostname in LOCAL_HOSTS:
        raise ProjectError(f"--base-url {raw!r}: HubSpot cannot reach {parts.hostname}; use the public host name")
    if not parts.hostname or "." not in parts.hostname:
        raise ProjectError(f"--base-url {raw!r}: needs a public host name, e.g. https://shop.example.org")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ProjectError(f"--base-url {raw!r}: no user, query string or fragment, just https://host[/prefix]")
    try:
        parts.port  # noqa: B018 (raises on a malformed port)
    except ValueError:
        raise ProjectError(f"--base-url {raw!r}: the port is not a number") from None
    return f"https://{parts.netloc}{parts.path.rstrip('/')}"


def write_project(raw_base_url: str, out: Path) -> WrittenProject:
    base_url = deployment_base_url(raw_base_url)
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise ProjectError(f"--out {out}: the folder is not empty; pick a new one so nothing is overwritten")
    if out.exists():
        out.rmdir()
    shutil.copytree(PROJECT, out, ignore=LEFT_BEHIND)
    _point_at(out, base_url)
    return WrittenProject(out, base_url, parse_with_hubspot(out))


def _point_at(project: Path, base_url: str) -> None:
    host = urlsplit(base_url).hostname
    app_path = project / "src" / "app" / "app-hsmeta.json"
    app = json.loads(app_path.read_text())
    config = app["config"]
    config["auth"]["redirectUrls"] = [f"{base_url}/oauth/callback"]
    config["permittedUrls"]["fetch"] = [base_url]
    config["support"].update(supportEmail=f"support@{host}", documentationUrl=f"{base_url}/docs",
                             supportUrl=f"{base_url}/support")
    app_path.write_text(json.dumps(app, indent=2, ensure_ascii=False) + "\n")

    webhooks_path = project / "src" / "app" / "webhooks" / "webhooks-hsmeta.json"
    webhooks = json.loads(webhooks_path.read_text())
    webhooks["config"]["settings"]["targetUrl"] = f"{base_url}/webhooks/hubspot"
    webhooks_path.write_text(json.dumps(webhooks, indent=2, ensure_ascii=False) + "\n")

    backend_path = project / "src" / "app" / "cards" / "backend.js"
    source, found = BACKEND_URL_LINE.subn(f"export const BACKEND_URL = '{base_url}';", backend_path.read_text())
    if found != 1:
        raise ProjectError(f"{backend_path}: expected one `export const BACKEND_URL = '...';` line, found {found}")
    backend_path.write_text(source)


def parse_with_hubspot(project: Path) -> list[dict]:
    """HubSpot's project parser (@hubspot/project-parsing-lib, installed with the cards' npm packages)."""
    if not (CARDS / "node_modules" / "@hubspot" / "project-parsing-lib").is_dir():
        installed = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=CARDS,
                                   capture_output=True, text=True)
        if installed.returncode != 0:
            raise ProjectError(f"`npm ci` in {CARDS} failed (HubSpot's parser comes from npm):\n{installed.stderr}")
    checked = subprocess.run(["node", str(CHECKER), str(project), str(CARDS)], capture_output=True, text=True)
    if checked.returncode != 0:
        raise ProjectError(f"HubSpot's project parser refused {project}: {checked.stderr.strip()}")
    return json.loads(checked.stdout)["components"]
