"""A portal has at most MAX_STORES_PER_PORTAL stores; the next one is refused with the reason and the setting."""
from __future__ import annotations

import pytest

from hubspot_app.db.models import Installation
from hubspot_app.moulin.stores import StoreSettingsError, connect_store

pytestmark = pytest.mark.db


@pytest.fixture
def make_config(make_config):
    def build(**overrides):
        return make_config(**{"max_stores_per_portal": 2, **overrides})
    return build


def test_a_store_past_the_limit_is_refused_with_a_clear_message(app):
    cipher = app.extensions["moulin.cipher"]
    with app.app_context(), app.extensions["moulin.db"].session() as session:
        session.add_all([Installation(portal_id=1), Installation(portal_id=2)])
        session.flush()
        for code in ("one", "two"):
            connect_store(session, cipher, 1, code, code, "https://moulin.example", "k")
        with pytest.raises(StoreSettingsError, match=r"already has 2 stores.*MAX_STORES_PER_PORTAL = 2"):
            connect_store(session, cipher, 1, "three", "Three", "https://moulin.example", "k")
        connect_store(session, cipher, 2, "three", "Three", "https://moulin.example", "k")  # per portal
