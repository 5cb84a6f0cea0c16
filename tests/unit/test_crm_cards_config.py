"""The HubSpot project in crm_cards/ agrees with the backend: scopes, redirect URL, cards, pinned packages.

HubSpot's own parser checks the structure (crm_cards/src/app/cards/__tests__/project-config.test.js);
these are the fields a wrong value of which breaks installs or the card.
"""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

from hubspot_app.config import OPTIONAL_SCOPES, REQUIRED_SCOPES

PROJECT = Path(__file__).resolve().parents[2] / "crm_cards"
CARDS = PROJECT / "src" / "app" / "cards"


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def app_config() -> dict:
    return load(PROJECT / "src" / "app" / "app-hsmeta.json")["config"]


def cards() -> list[dict]:
    return [load(p) for p in sorted(CARDS.glob("*-hsmeta.json"))]


def test_project_is_on_platform_2026_03():
    project = load(PROJECT / "hsproject.json")
    assert project["platformVersion"] == "2026.03"
    assert project["srcDir"] == "src"


def test_app_asks_exactly_for_the_scopes_the_install_flow_requests():
    auth = app_config()["auth"]
    assert auth["type"] == "oauth"
    # a scope requested at install but not configured on the app blocks the install, and vice versa
    assert auth["requiredScopes"] == list(REQUIRED_SCOPES)
    assert set(OPTIONAL_SCOPES) <= set(auth["optionalScopes"])
    assert not set(auth["optionalScopes"]) & set(auth["requiredScopes"])


def test_app_is_a_marketplace_app_with_https_urls():
    config = app_config()
    assert config["distribution"] == "marketplace"
    for url in config["auth"]["redirectUrls"]:
        assert urlsplit(url).scheme == "https" and url.endswith("/oauth/callback")
    fetch = config["permittedUrls"]["fetch"]
    assert fetch, "the cards call our backend: it must be a permitted fetch URL"
    for url in fetch:
        parts = urlsplit(url)
        assert parts.scheme == "https" and parts.hostname not in ("localhost", "127.0.0.1")
    assert {"supportEmail", "documentationUrl", "supportUrl"} <= set(config["support"])


def test_cards_are_contact_cards_in_the_sidebar_and_a_tab():
    found = {card["config"]["location"]: card for card in cards()}
    assert set(found) == {"crm.record.sidebar", "crm.record.tab"}
    for card in found.values():
        assert card["type"] == "card"
        assert card["config"]["objectTypes"] == ["contacts"]
        assert (PROJECT / "src" / card["config"]["entrypoint"].lstrip("/")).is_file()


def test_card_packages_are_pinned():
    package = load(CARDS / "package.json")
    assert package["dependencies"] == {"@hubspot/ui-extensions": "0.17.0", "react": "18.3.1"}
    assert package["scripts"]["test"] == "vitest run"
    lock = load(CARDS / "package-lock.json")
    assert lock["packages"]["node_modules/@hubspot/ui-extensions"]["version"] == "0.17.0"


def test_webhooks_target_our_backend_on_the_same_host_as_the_cards():
    webhooks = load(PROJECT / "src" / "app" / "webhooks" / "webhooks-hsmeta.json")["config"]["settings"]
    target = urlsplit(webhooks["targetUrl"])
    backend = urlsplit(app_config()["permittedUrls"]["fetch"][0])
    assert target.scheme == "https" and target.path == "/webhooks/hubspot"
    assert target.hostname == backend.hostname
    assert 1 <= webhooks["maxConcurrentRequests"] <= 10
