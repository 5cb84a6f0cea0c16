"""Every HubSpot attempt the CRM gateway makes is counted per portal, 429s apart (what /metrics exposes)."""
from __future__ import annotations

import pytest
from flask import Flask, jsonify
from prometheus_client import REGISTRY

from hubspot_app.hubspot.crm import CrmGateway
from hubspot_app.hubspot.ratelimit import InProcessLimiter
from sandbox.serving import serve_in_thread

PORTAL = 8080
PROPERTY = {"name": "email", "label": "Email", "type": "string", "fieldType": "text", "groupName": "contactinformation",
            "description": "", "options": []}


@pytest.fixture
def hubspot_once_limited():
    """A loopback HubSpot that answers the first request 429, then the properties list."""
    app, answered = Flask("hubspot-429"), []

    @app.get("/crm/v3/properties/contacts")
    def properties():
        answered.append(1)
        if len(answered) == 1:
            # No Retry-After: with one, urllib3 (under the SDK) would retry by itself, unseen by the gateway.
            return jsonify(status="error", message="rate limited", category="RATE_LIMITS"), 429
        return jsonify(results=[PROPERTY])

    server = serve_in_thread(app)
    yield server.url
    server.stop()


def counted(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, {"portal_id": str(PORTAL), **labels}) or 0.0


def test_attempts_and_429s_are_counted(hubspot_once_limited):
    before = (counted("moulin_hubspot_calls_total", status="2xx"), counted("moulin_hubspot_calls_total", status="4xx"),
              counted("moulin_hubspot_rate_limited_total"))
    gateway = CrmGateway(PORTAL, lambda _portal: "token", host=hubspot_once_limited,
                         limiter=InProcessLimiter(), sleep=lambda _s: None)
    assert gateway.property_names("contacts") == {"email"}
    after = (counted("moulin_hubspot_calls_total", status="2xx"), counted("moulin_hubspot_calls_total", status="4xx"),
             counted("moulin_hubspot_rate_limited_total"))
    assert [a - b for a, b in zip(after, before)] == [1, 1, 1]
