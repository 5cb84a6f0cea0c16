"""The store settings page says when HubSpot's Carts are off (orders granted, cart scopes not) and how to grant
them; installed through the real OAuth redirects of the HubSpot sandbox."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from hubspot_app.config import CART_SCOPES
from hubspot_app.db.models import Installation
from tests.integration.test_marketing_without_scopes import installed  # noqa: F401 (the fixture)
from tests.integration.test_orders_settings import store_page

pytestmark = pytest.mark.db


@pytest.mark.parametrize("installed", [True], indirect=True)
def test_the_page_says_carts_are_off_without_the_cart_scopes_and_how_to_grant_them(installed):
    app, _state, portal_id, scopes, client = installed
    assert set(CART_SCOPES) <= scopes  # asked for at install, as optional scopes
    _, page = store_page(app, client, portal_id)
    assert "Carts are off" not in page

    with app.extensions["moulin.db"].session() as session:  # a portal that declined them (an older install)
        row = session.scalar(select(Installation).where(Installation.portal_id == portal_id))
        row.scopes = " ".join(sorted(scopes - set(CART_SCOPES)))
    _, page = store_page(app, client, portal_id)
    assert "Carts are off" in page and "crm.objects.carts.write" in page
    assert "Install again with the cart scopes" in page and 'href="/oauth/install"' in page
