"""Who is calling: a `hubspot.fetch` request signed by HubSpot (v3), from an active installation.

HubSpot appends `portalId` (and `appId`, `userId`, `userEmail`) to the URL
before signing it, so once the signature holds, the portal id in the query is
HubSpot's word, not the browser's. The URL checked is the external one
(`APP_BASE_URL` + path + raw query string): behind a proxy the Host header
and scheme Flask sees are not what HubSpot signed.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Mapping

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from .. import untrusted_json
from ..config import Config
from ..db.models import Installation
from ..hubspot.signature import verify_request
from ..logs import log_event
from .errors import BadRequest, Forbidden, NotSigned

logger = logging.getLogger(__name__)


def external_url(config: Config, path: str, raw_query: bytes) -> str:
    query = raw_query.decode("latin-1")
    return f"{config.app_base_url}{path}" + (f"?{query}" if query else "")


def _single(args, name: str) -> str | None:
    values = args.getlist(name)
    if len(set(values)) > 1:
        raise BadRequest(f"{name} was given more than once with different values")
    return values[0] if values else None


def signed_portal(config: Config, method: str, url: str, body: bytes, headers: Mapping[str, str], args,
                  now_ms: int | None = None) -> int:
    """The portal id HubSpot vouches for, or a CardError. `args` is the parsed query (a MultiDict)."""
    check = verify_request(config.hubspot_client_secret, method, url, body, headers, now_ms=now_ms)
    if not check.ok:
        log_event(logger, "card.signature.rejected", logging.WARNING, reason=check.reason)
        raise NotSigned("This request is not signed by HubSpot.", reason=check.reason)
    app_id = _single(args, "appId")
    if app_id is not None and config.hubspot_app_id is not None and app_id != str(config.hubspot_app_id):
        raise Forbidden("This request was made for another HubSpot app.")
    portal = _single(args, "portalId")
    if not portal or not portal.isdigit():
        raise BadRequest("portalId is missing from the signed request.")
    return int(portal)


_STATUS = select(Installation.status).where(Installation.portal_id == bindparam("portal"))  # built once


def require_active(session: Session | Connection, portal_id: int) -> None:
    status = session.execute(_STATUS, {"portal": portal_id}).scalar()
    if status != "active":
        log_event(logger, "card.portal.refused", logging.WARNING, portal_id=portal_id, status=status)
        raise Forbidden("The Moulin app is not installed on this HubSpot account.")


class ActivePortals:
    """Portals found active in the last `ttl_s` seconds, remembered per worker process: the installation
    lookup is the card's most repeated query, and its answer changes only on (un)install.

    Only "active" is remembered, so a new install is served at once; an uninstall is honoured at most `ttl_s`
    seconds late, during which the card keeps showing the portal its own orders, to users HubSpot signed for.
    """

    def __init__(self, ttl_s: float = 5.0):
        self.ttl = timedelta(seconds=ttl_s)
        self._until: dict[int, datetime] = {}  # one entry per portal; dict reads and writes are atomic

    def require(self, connection: Session | Connection, portal_id: int, now: datetime) -> None:
        until = self._until.get(portal_id)
        if until is None or now >= until:
            require_active(connection, portal_id)
            self._until[portal_id] = now + self.ttl


def contact_id_of(value) -> str:
    text = str(value or "").strip()
    if not text.isdigit() or len(text) > 20:
        raise BadRequest("contactId must be a HubSpot record id.")
    return text


def json_object_of(raw: bytes) -> dict:
    """A request body that must be a JSON object (or empty); anything else is the caller's mistake."""
    if not raw.strip():
        return {}
    try:
        body = untrusted_json.loads(raw)
    except untrusted_json.UnreadableJson as error:
        raise BadRequest(f"The request body is unreadable: {error}.") from None
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    return body
