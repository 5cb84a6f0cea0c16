"""The demo wires the sandbox's webhooks to the app: a contact merge done on the sandbox's page reaches the app's
mapping and the card over real HTTP (sandbox page -> signed delivery -> app -> queue -> worker process)."""
from __future__ import annotations

import time

import pytest
import requests
from sqlalchemy import select

from hubspot_app.db.models import CardOrder, ObjectLink
from sandbox.card_fetch import hubspot_fetch
from sandbox.demo import DemoOptions, start

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo(tmp_path):
    running = start(DemoOptions(orders=40, seed=3, as_json=True, workdir=str(tmp_path)))
    try:
        yield running
    finally:
        running.stop()


def two_customers(demo) -> tuple[dict, dict]:
    """Two synced contacts with orders on the card: email -> (contact id, order numbers)."""
    with demo.app.extensions["moulin.db"].session() as session:
        orders = session.execute(select(CardOrder.contact_email, CardOrder.hubspot_contact_id, CardOrder.order_number)
                                 .where(CardOrder.hubspot_contact_id.is_not(None))).all()
    customers: dict = {}
    for email, contact_id, number in orders:
        customers.setdefault(email, {"id": contact_id, "email": email, "orders": set()})["orders"].add(number)
    first, second = list(customers.values())[:2]
    return first, second


def followed(demo, emails: list[str], survivor: str) -> bool:
    with demo.app.extensions["moulin.db"].session() as session:
        links = session.scalars(select(ObjectLink.hubspot_id).where(ObjectLink.kind == "contact",
                                                                     ObjectLink.source_key.in_(emails))).all()
        cards = session.scalars(select(CardOrder.hubspot_contact_id).where(CardOrder.contact_email.in_(emails))).all()
    return set(links) == {survivor} and set(cards) == {survivor}


def test_a_merge_on_the_sandbox_page_reaches_the_mapping_and_the_card(demo):
    portal_id = demo.summary["portal_id"]
    primary, merged = two_customers(demo)
    page = requests.get(demo.sandbox_page, timeout=10)
    assert page.status_code == 200 and primary["email"] in page.text and 'value="merge_contacts"' in page.text

    done = requests.post(f"{demo.hubspot_url}/_sandbox/portals/{portal_id}/user-actions", timeout=10,
                         data={"action": "merge_contacts", "primaryObjectId": primary["id"],
                               "objectIdToMerge": merged["id"]})
    assert done.status_code == 200 and "merged into" in done.text
    token = requests.post(f"{demo.hubspot_url}/_sandbox/portals/{portal_id}/tokens", json={}, timeout=10).json()
    survivor = requests.get(f"{demo.hubspot_url}/crm/v3/objects/contacts/{primary['id']}", timeout=10,
                            headers={"Authorization": f"Bearer {token['access_token']}"}).json()["id"]
    assert survivor not in (primary["id"], merged["id"])  # HubSpot gives a contact merge a new id

    deadline = time.monotonic() + 60  # a wait for the worker, not a speed check
    while not followed(demo, [primary["email"], merged["email"]], survivor):
        assert time.monotonic() < deadline, "the merge did not reach the app's mapping"
        time.sleep(0.3)

    secret, app_id = demo.hubspot_state.oauth.client_secret, demo.hubspot_state.app_id
    fetch = hubspot_fetch(secret, demo.app_url, "GET", "/card/orders", {"contactId": survivor}, portal_id=portal_id,
                          app_id=app_id)
    card = requests.get(demo.app_url + fetch.path_and_query, headers=fetch.headers, timeout=10)
    assert card.status_code == 200, card.text
    assert {o["number"] for o in card.json()["orders"]} >= primary["orders"] | merged["orders"]
