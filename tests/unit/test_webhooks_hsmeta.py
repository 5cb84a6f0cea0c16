"""The subscriptions we declare to HubSpot: the file HubSpot's project upload reads."""
import json
from pathlib import Path

from hubspot_app.webhooks.handlers import HANDLERS

HSMETA = Path(__file__).resolve().parents[2] / "crm_cards" / "src" / "app" / "webhooks" / "webhooks-hsmeta.json"


def _name(entry: dict) -> str:
    # Generic subscriptions (`crmObjects`, e.g. HubSpot orders) name the object apart: object.deletion + order.
    kind = entry["subscriptionType"]
    return kind.replace("object.", entry["objectType"] + ".", 1) if kind.startswith("object.") else kind


def subscriptions() -> set[tuple[str, str | None]]:
    """As `<object>.<action>`: a generic `object.*` subscription names its object in `objectType`."""
    config = json.loads(HSMETA.read_text())["config"]
    return {(_name(entry), entry.get("propertyName"))
            for group in config["subscriptions"].values() for entry in group if entry["active"]}


def test_settings():
    data = json.loads(HSMETA.read_text())
    assert data["type"] == "webhooks" and data["uid"]
    settings = data["config"]["settings"]
    assert settings["targetUrl"].endswith("/webhooks/hubspot") and settings["targetUrl"].startswith("https://")
    assert 1 <= settings["maxConcurrentRequests"] <= 10


def test_every_handled_event_is_subscribed_and_nothing_else_but_contact_creation():
    handled = {(f"{kind}.{action}", prop) for kind, action, prop in HANDLERS}
    assert subscriptions() - handled == {("contact.creation", None)}
    assert handled - subscriptions() == set()
