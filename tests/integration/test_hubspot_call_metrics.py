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


@pytest.fixture(params=[None, "1"], ids=["no-retry-after", "retry-after"])
def hubspot_once_limited(request):
    """A loopback HubSpot that answers the first request 429 (with or without Retry-After), then the list."""
    app, answered = Flask("hubspot-429"), []

    @app.get("/crm/v3/properties/contacts")
    def properties():
        answered.append(1)
        if len(answered) == 1:
            headers = {"Retry-After": request.param} if request.param else {}
            return jsonify(status="error", message="rate limited", category="RATE_LIMITS"), 429, headers
        return jsonify(results=[PROPERTY])

    server = serve_in_thread(app)
    server.answered = answered
    yield server
    server.stop()


def counted(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, {"portal_id": str(PORTAL), **labels}) or 0.0


def test_attempts_and_429s_are_counted(hubspot_once_limited):
    before = (counted("moulin_hubspot_calls_total", status="2xx"), counted("moulin_hubspot_calls_total", status="4xx"),
              counted("moulin_hubspot_rate_limited_total"))
    gateway = CrmGateway(PORTAL, lambda _portal: "token", host=hubspot_once_limited.url,
                         limiter=InProcessLimiter(), sleep=lambda _s: None)
    assert gateway.schema.property_names("contacts") == {"email"}
    # Every request HubSpot saw went through the gateway: urllib3 under the SDK retries nothing on its own,
    # even when a 429 carries Retry-After, so the shared pause and the metrics see every 429.
    assert gateway.calls == len(hubspot_once_limited.answered) == 2
    after = (counted("moulin_hubspot_calls_total", status="2xx"), counted("moulin_hubspot_calls_total", status="4xx"),
             counted("moulin_hubspot_rate_limited_total"))
    assert [a - b for a, b in zip(after, before)] == [1, 1, 1]
