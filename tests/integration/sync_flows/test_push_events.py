"""Moulin pushes a change -> `sync.moulin_event` job (inline in tests) -> HubSpot, over real HTTP end to end."""
from __future__ import annotations

import pytest

from hubspot_app.db.models import MoulinEvent
from hubspot_app.sync.engine import setup_portal
from sandbox.serving import serve_in_thread
from sandbox.moulin.edits import apply_order_action

from .test_sync_flows import live_line_items

pytestmark = pytest.mark.db


@pytest.fixture
def pushing_store(world, stores):
    """A sample store connected to the portal, pushing its changes to the app served on loopback."""
    store, server = stores(orders=8, seed=29, store_code="b2c")
    store_id, secret = world.connect(store, server)
    world.run(setup_portal, world.portal_id)
    app_server = serve_in_thread(world.app)
    store.push_to(f"{app_server.url}/moulin/push/{store_id}", secret)
    yield store
    app_server.stop()


def test_pushed_order_events_create_update_and_archive_the_deal(world, pushing_store):
    store = pushing_store
    created = store.create_order(next(c["id"] for c in store.iter_raw("customers") if c.get("email")), lines=2)
    key = f"b2c:{created['id']}"
    deals = world.deals_by_key()
    assert set(deals) == {key}  # only the pushed order, nothing else was synced
    assert len([k for k in live_line_items(world) if k.startswith(key + ":")]) == 2

    apply_order_action(store, created["id"], {"action": "add_line", "product": 2})
    assert len([k for k in live_line_items(world) if k.startswith(key + ":")]) == 3
    assert world.deals_by_key()[key]["id"] == deals[key]["id"]

    store.delete("orders", created["id"])
    assert world.deals_by_key() == {}
    assert [k for k in live_line_items(world) if k.startswith(key + ":")] == []
    with world.app.extensions["moulin.db"].session() as session:
        rows = session.query(MoulinEvent).all()
        assert len(rows) == 3 and all(r.processed_at is not None and r.error is None for r in rows)


def test_a_processed_push_keeps_its_envelope_not_the_customer_data(world, pushing_store):
    """The sync re-reads every record from Moulin: once an event is applied, its copy of the record is dropped."""
    customer = next(c for c in pushing_store.iter_raw("customers") if c.get("email"))
    pushing_store.update_customer(customer["id"], {"email": "Nouvelle.Adresse@Exemple.fr",
                                                   "phone": "+33 6 12 34 56 78"})
    with world.app.extensions["moulin.db"].session() as session:
        [row] = session.query(MoulinEvent).all()
        assert row.processed_at is not None and row.error is None
        assert row.type == "customer.updated" and row.record_id == customer["id"]
        assert row.payload["data"] == {"id": customer["id"]}
        assert "Exemple.fr".lower() not in str(row.payload).lower() and "56 78" not in str(row.payload)
