"""The card preview's `hubspot.fetch` proxy does what HubSpot's does, over real HTTP on loopback.

A small backend stands in for the app and records what reaches it; the signature is
checked with the app's own verifier, as the app's /card/orders does.
"""
from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask, Response, request
from werkzeug.datastructures import Headers

from hubspot_app.hubspot.signature import verify_request
from sandbox.hubspot import start_sandbox
from sandbox.hubspot.card_fetch_proxy import permitted_fetch_urls
from sandbox.serving import serve_in_thread

SECRET = "preview-secret"
CARD_URL = permitted_fetch_urls()[0]  # the production host the card code calls


class Backend:
    """Answers from a queue of (status, body, delay_s); records every request with its full URL and headers."""

    def __init__(self):
        self.calls: list[dict] = []
        self.answers: list[tuple[int, str, float]] = []
        app = Flask("card-backend")

        @app.route("/<path:path>", methods=["GET", "POST"])
        def anything(path):
            # the URL as sent (raw query string): what the app rebuilds to check the signature
            url = f"{request.host_url.rstrip('/')}{request.path}?{request.query_string.decode()}"
            self.calls.append({"method": request.method, "url": url, "headers": Headers(request.headers),
                               "body": request.get_data()})
            status, body, delay = self.answers.pop(0) if self.answers else (200, '{"ok": true}', 0)
            time.sleep(delay)
            return Response(body, status=status, mimetype="application/json")

        self.server = serve_in_thread(app)
        self.url = self.server.url


@pytest.fixture
def preview():
    backend = Backend()
    state, sandbox = start_sandbox(client_secret=SECRET, app_id=4242, card_backend_url=backend.url)
    portal_id = state.create_portal()

    def fetch(url, **fields):
        return requests.post(f"{sandbox.url}/_sandbox/preview/fetch", json={"portalId": portal_id, "url": url, **fields},
                             timeout=30)

    yield backend, fetch, state, sandbox.url, portal_id
    sandbox.stop()
    backend.server.stop()


def test_fetch_reaches_the_app_signed_v3_with_hubspots_query_parameters(preview):
    backend, fetch, _state, _url, portal_id = preview
    backend.answers.append((201, '{"done": 1}', 0))
    answer = fetch(f"{CARD_URL}/card/orders/refresh", method="POST", body={"contactId": "7"})
    assert answer.status_code == 200
    assert answer.json() == {"status": 201, "body": '{"done": 1}', "contentType": "application/json"}
    [call] = backend.calls
    parts = urlsplit(call["url"])
    assert parts.path == "/card/orders/refresh" and call["method"] == "POST"
    query = parse_qs(parts.query)
    assert query["portalId"] == [str(portal_id)] and query["appId"] == ["4242"]
    assert query["userId"] and "@" in query["userEmail"][0]
    assert call["body"] == b'{"contactId": "7"}'
    check = verify_request(SECRET, "POST", call["url"], call["body"], call["headers"])
    assert check.ok, check.reason


def test_fetch_refuses_urls_outside_the_permitted_fetch_urls(preview):
    backend, fetch, *_ = preview
    for url in ("https://elsewhere.example/card/orders", CARD_URL.replace("https://", "http://") + "/card/orders"):
        answer = fetch(url)
        assert answer.status_code == 502
        assert "permittedUrls.fetch" in answer.json()["message"]
    assert backend.calls == []
    assert fetch(f"{CARD_URL}/card/orders", method="TRACE").status_code == 400


def test_fetch_keeps_hubspots_size_limit_and_timeout(preview):
    backend, fetch, *_ = preview
    too_big = fetch(f"{CARD_URL}/card/orders/refresh", method="POST", body={"pad": "x" * 1_000_001})
    assert too_big.status_code == 502 and "1 MB" in too_big.json()["message"]
    assert backend.calls == []

    backend.answers.append((200, '"' + "x" * 1_000_001 + '"', 0))
    answer = fetch(f"{CARD_URL}/card/orders")
    assert answer.status_code == 502 and "1 MB" in answer.json()["message"]

    backend.answers.append((200, "{}", 1.0))
    slow = fetch(f"{CARD_URL}/card/orders", timeout=200)
    assert slow.status_code == 502 and "within 200 ms" in slow.json()["message"]


def test_fetch_retries_once_on_a_5xx_then_reports_an_app_that_is_down(preview):
    backend, fetch, state, *_ = preview
    backend.answers.extend([(503, '{"message": "busy"}', 0), (200, '{"orders": []}', 0)])
    answer = fetch(f"{CARD_URL}/card/orders")
    assert answer.json()["status"] == 200 and len(backend.calls) == 2

    backend.server.stop()
    down = fetch(f"{CARD_URL}/card/orders")
    assert down.status_code == 502 and "could not connect to the app" in down.json()["message"]


def test_record_page_runs_the_project_cards_and_refuses_unknown_records(preview):
    _backend, _fetch, state, url, portal_id = preview
    contact = state.user_create(portal_id, "contacts", {"email": "ann@example.com", "firstname": "Ann"})
    page = requests.get(f"{url}/contacts/{portal_id}/record/0-1/{contact.id}", timeout=10)
    assert page.status_code == 200
    for card in ("moulin_orders_sidebar", "moulin_order_history"):
        assert f'src="/_sandbox/preview/cards/{card}.js"' in page.text
    assert "ann@example.com" in page.text
    assert requests.get(f"{url}/contacts/{portal_id}/record/0-1/999999", timeout=10).status_code == 404
    assert requests.get(f"{url}/_sandbox/preview/cards/not_a_card.js", timeout=10).status_code == 404
    assert state.request_log.total() == 0  # a page a person opens is not an API call
