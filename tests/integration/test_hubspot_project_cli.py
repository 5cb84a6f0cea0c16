"""`moulin-hubspot hubspot-project`: the HubSpot project written for one deployment, checked by HubSpot's parser."""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from hubspot_app.cli import main
from hubspot_app.deploy.hubspot_project import ProjectError, parse_with_hubspot

URL = re.compile(r"https?://[^\s'\"`)<>]+")
EMAIL = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")


def run(*args):
    return CliRunner().invoke(main, ["hubspot-project", *args])


def project_texts(root: Path):
    for path in sorted(root.rglob("*")):
        # package-lock.json is npm's record of the cards' packages (registry and funding links), no URL of ours
        if path.is_file() and path.name != "package-lock.json":
            text = path.read_text(encoding="utf-8")
            if path.suffix in (".js", ".jsx", ".mjs"):
                # comment lines cite HubSpot's docs: sources, not URLs the app serves or calls
                text = re.sub(r"^\s*//.*$", "", text, flags=re.M)
            yield path, text


def test_every_url_of_the_written_project_is_on_the_deployment_host_and_hubspots_parser_accepts_it(tmp_path):
    out = tmp_path / "hubspot-project"
    result = run("--base-url", "https://shop.example.org/", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "HubSpot's project parser: OK" in result.output

    urls, hosts = [], set()
    for path, text in project_texts(out):
        for url in URL.findall(text):
            urls.append(url)
            hosts.add(urlsplit(url).hostname)
        hosts.update(EMAIL.findall(text) if path.name.endswith("-hsmeta.json") else [])  # support e-mail
    assert hosts == {"shop.example.org"}, hosts
    assert len(urls) >= 5  # redirect, fetch, webhook target, the cards' backend, support pages

    app = json.loads((out / "src/app/app-hsmeta.json").read_text())["config"]
    assert app["auth"]["redirectUrls"] == ["https://shop.example.org/oauth/callback"]
    assert app["permittedUrls"]["fetch"] == ["https://shop.example.org"]
    webhooks = json.loads((out / "src/app/webhooks/webhooks-hsmeta.json").read_text())["config"]["settings"]
    assert webhooks["targetUrl"] == "https://shop.example.org/webhooks/hubspot"
    assert "export const BACKEND_URL = 'https://shop.example.org';" in (out / "src/app/cards/backend.js").read_text()
    assert not (out / "src/app/cards/node_modules").exists() and not (out / "src/app/cards/__tests__").exists()

    # what HubSpot's parser read back from the written files
    components = {c["uid"]: c for c in parse_with_hubspot(out)}
    assert {c["type"] for c in components.values()} == {"APPLICATION", "CARD", "WEBHOOKS"}
    assert components["moulin_hubspot_app"]["config"]["permittedUrls"]["fetch"] == ["https://shop.example.org"]


@pytest.mark.parametrize(("base_url", "reason"), [
    ("http://shop.example.org", "must start with https://"),
    ("shop.example.org", "must start with https://"),
    ("https://", "needs a public host name"),
    ("https://localhost:8443", "HubSpot cannot reach localhost"),
    ("https://shop.example.org/?next=1", "no user, query string or fragment"),
    ("https://shop.example.org:http", "the port is not a number"),
])
def test_a_non_https_or_malformed_base_url_is_refused_and_nothing_is_written(tmp_path, base_url, reason):
    out = tmp_path / "out"
    result = run("--base-url", base_url, "--out", str(out))
    assert result.exit_code != 0
    assert reason in result.output and "--base-url" in result.output
    assert not out.exists()


def test_a_folder_with_files_is_never_overwritten(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    result = run("--base-url", "https://shop.example.org", "--out", str(tmp_path))
    assert result.exit_code != 0 and "not empty" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_hubspots_parser_refuses_a_broken_project(tmp_path):
    out = tmp_path / "project"
    assert run("--base-url", "https://shop.example.org", "--out", str(out)).exit_code == 0
    (out / "hsproject.json").write_text(json.dumps({"name": "x", "srcDir": "src", "platformVersion": "1999.1"}))
    with pytest.raises(ProjectError, match="project parser refused"):
        parse_with_hubspot(out)
