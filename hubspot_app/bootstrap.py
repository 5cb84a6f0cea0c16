"""One wiring: the outside world of an app (`Adapters`) and the gateways services get from it.

`create_app(config, clock, adapters)` keeps one `Adapters`; every field left None is the real thing (tokens from
the install area, sources from the stores' saved connections, system DNS, the sync behind the card's Refresh).
Tests and the demo set fakes on it (`adapters(app).token_provider = ...`) before the first call that needs them.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

from flask import current_app

from hubspot_app import extensions
from hubspot_app.hubspot.crm import CrmGateway
from hubspot_app.hubspot.marketing import MarketingGateway
from hubspot_app.hubspot.ratelimit import make_limiter
from hubspot_app.moulin.ports import OrderSource

if TYPE_CHECKING:
    from hubspot_app.card.refresh import RefreshPolicy


@dataclass
class Adapters:
    token_provider: Callable[[int], str] | None = None  # portal id -> access token
    source_factory: Callable[[Any], OrderSource] | None = None  # MoulinStore -> its Moulin API
    sdk_options: dict = field(default_factory=dict)  # e.g. {"client_side_validation": True}: HubSpot's contract
    store_resolver: Callable[[str, int], list] | None = None  # DNS for calls to stores (tests: no network)
    card_refresher: Callable[[int, str], dict] | None = None  # (portal id, email) -> report; None: the sync
    card_refresh_policy: "RefreshPolicy | None" = None
    # Built on first use, one per app (= per process): every thread shares the portal's window.
    limiter: Any = None


def adapters(app=None) -> Adapters:
    return (app or current_app).extensions["moulin.adapters"]


# How long a token read from the install area is used without reading it again. The gateway asks before every
# call, and each read (a row, a decryption) was 13% of the CPU of a backfill's sending thread. Tokens are refreshed
# minutes before they expire, so one second old is still valid; an uninstall is seen a second later at most.
TOKEN_REUSE_S = 1.0


def installed_tokens(app, monotonic: Callable[[], float] = time.monotonic) -> Callable[[int], str]:
    """portal id -> access token, from the install area (refreshed before expiry), for one gateway."""
    recent: dict[int, tuple[str, float]] = {}  # portal id -> (token, when it was read)

    def access_token(portal_id: int) -> str:
        token, read_at = recent.get(portal_id, (None, 0.0))
        if token is not None and monotonic() - read_at < TOKEN_REUSE_S:
            return token
        # The gateway may call from the executor's threads, which have no app context of their own.
        with app.app_context():
            token = extensions.tokens().access_token(portal_id)
        recent[portal_id] = (token, monotonic())
        return token
    return access_token


def now() -> datetime:
    """The app's clock (movable in tests and the demo): abandoned checkouts age by it."""
    return extensions.clock()()


def token_provider() -> Callable[[int], str]:
    return adapters().token_provider or installed_tokens(current_app._get_current_object())


def _limiter():
    wiring = adapters()
    if wiring.limiter is None:
        wiring.limiter = make_limiter(extensions.config().redis_url)
    return wiring.limiter


def crm_for(portal_id: int) -> CrmGateway:
    return CrmGateway(portal_id, token_provider(), host=extensions.config().hubspot_api_base, limiter=_limiter(),
                      **adapters().sdk_options)


def marketing_for(portal_id: int) -> MarketingGateway:
    """Forms and subscriptions of a portal, through the same tokens and rate limiter as the CRM gateway."""
    config = extensions.config()
    return MarketingGateway(portal_id, token_provider(), api_base=config.hubspot_api_base,
                            forms_base=config.forms_base, limiter=_limiter())


def source_for(store, **options) -> OrderSource:
    factory = adapters().source_factory
    if factory is not None:
        return factory(store)
    from hubspot_app.moulin.stores import client_for

    return client_for(store, extensions.cipher(), **options)


def bulk_source_for(store) -> OrderSource:
    """A store's API for reading a whole history (a backfill's catalogue and facts pass): Moulin's largest pages,
    each read while the one before is used. Measured on 20,000 orders: the facts pass 9.4 -> 5.7 s."""
    from hubspot_app.moulin.client import MAX_PAGE_SIZE

    return source_for(store, page_size=MAX_PAGE_SIZE, read_ahead=True)
