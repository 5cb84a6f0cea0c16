"""Helpers shared by the operator page tests (integration and browser)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from hubspot_app.db.models import Installation

PORTAL_A = 101
PORTAL_B = 202
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def install_portals(app, *portal_ids: int) -> None:
    """Installation rows as the OAuth callback leaves them (tokens encrypted, valid for an hour)."""
    cipher = app.extensions["moulin.cipher"]
    with app.extensions["moulin.db"].session() as session:
        for portal_id in portal_ids:
            session.add(Installation(
                portal_id=portal_id, hub_domain=f"shop{portal_id}.example", status="active",
                installed_by_email=f"owner@shop{portal_id}.example",
                access_token_enc=cipher.encrypt(f"access-{portal_id}"),
                refresh_token_enc=cipher.encrypt(f"refresh-{portal_id}"),
                access_expires_at=datetime.now(timezone.utc) + timedelta(hours=1)))


def operator_link(app, portal_id: int, email: str = "owner@shop.example") -> str:
    from hubspot_app.operator.auth import make_operator_link

    with app.test_request_context():
        return make_operator_link(portal_id, email)


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)
