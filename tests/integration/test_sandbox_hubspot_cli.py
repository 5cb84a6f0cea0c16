"""`moulin-hubspot sandbox hubspot --webhook-target URL`: a separate process delivers signed webhooks for API changes
and for what a person does on the sandbox's page, checked with the official SDK's signature helper."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests
from flask import Flask, request
from hubspot.utils.signature import Signature

from sandbox.serving import serve_in_thread

SECRET = "cli-secret"


@pytest.fixture
def receiver():
    """A loopback webhook receiver that keeps every event whose v3 signature the SDK accepts."""
    app, received, refused = Flask("receiver"), [], []
    arrived = threading.Condition()

    @app.post("/webhooks/hubspot")
    def hook():
        raw = request.get_data(as_text=True)
        valid = Signature.is_valid(signature=request.headers["X-HubSpot-Signature-v3"], client_secret=SECRET,
                                   request_body=raw, http_uri=request.url, http_method="POST",
                                   signature_version="v3", timestamp=request.headers["X-HubSpot-Request-Timestamp"])
        # The older signature comes too, as HubSpot's webhooks send it.
        valid = valid and request.headers["X-HubSpot-Signature-Version"] == "v1" and Signature.is_valid(
            signature=request.headers["X-HubSpot-Signature"], client_secret=SECRET, request_body=raw,
            signature_version="v1")
        with arrived:
            (received if valid else refused).extend(json.loads(raw))
            arrived.notify_all()
        return "", 204

    server = serve_in_thread(app)

    def wait_for(predicate, timeout=20.0):
        with arrived:
            assert arrived.wait_for(lambda: any(predicate(e) for e in received), timeout), received
        assert refused == []
        return next(e for e in received if predicate(e))

    yield server.url + "/webhooks/hubspot", wait_for
    server.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cli_sandbox(receiver):
    target, wait_for = receiver
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", "from hubspot_app.cli import main; main()", "sandbox", "hubspot", "--port", str(port),
         "--auto-approve", "--client-secret", SECRET, "--webhook-target", target],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.post(f"{url}/_sandbox/requests", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    try:
        yield url, wait_for
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_api_changes_and_user_actions_are_delivered_signed(cli_sandbox):
    url, wait_for = cli_sandbox
    portal = requests.post(f"{url}/_sandbox/portals", json={}, timeout=5).json()["portalId"]
    token = requests.post(f"{url}/_sandbox/portals/{portal}/tokens", json={}, timeout=5).json()["access_token"]
    created = requests.post(f"{url}/crm/v3/objects/contacts", json={"properties": {"email": "ana@moulin.fr"}},
                            headers={"Authorization": f"Bearer {token}"}, timeout=5).json()["id"]
    creation = wait_for(lambda e: e["subscriptionType"] == "contact.creation")
    assert creation["objectId"] == int(created) and creation["changeSource"] == "INTEGRATION"
    assert creation["portalId"] == portal and creation["appId"] == 1000

    page = requests.get(f"{url}/_sandbox/portals/{portal}/page", timeout=5)
    assert page.status_code == 200 and "ana@moulin.fr" in page.text
    done = requests.post(f"{url}/_sandbox/portals/{portal}/user-actions",
                         data={"action": "change_email", "contactId": created, "email": "ana@moulin.com"}, timeout=5)
    assert done.status_code == 200 and "ana@moulin.com" in done.text  # the page again, after a 303
    change = wait_for(lambda e: e["subscriptionType"] == "contact.propertyChange"
                      and e["propertyValue"] == "ana@moulin.com")
    assert change["changeSource"] == "CRM_UI"
    assert change["sourceId"].startswith("userId:")


def test_bad_user_actions_name_the_problem(cli_sandbox):
    url, _ = cli_sandbox
    portal = requests.post(f"{url}/_sandbox/portals", json={}, timeout=5).json()["portalId"]
    missing = requests.post(f"{url}/_sandbox/portals/{portal}/user-actions", json={"action": "merge_contacts"},
                            timeout=5)
    assert missing.status_code == 400 and "primaryObjectId" in missing.json()["message"]
    unknown = requests.post(f"{url}/_sandbox/portals/{portal}/user-actions", data={"action": "explode"}, timeout=5)
    assert unknown.status_code == 400 and "Unknown action" in unknown.text


def test_a_webhook_target_must_be_a_url():
    run = subprocess.run([sys.executable, "-c", "from hubspot_app.cli import main; main()", "sandbox", "hubspot",
                          "--webhook-target", "app.local/webhooks"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "--webhook-target" in run.stderr
