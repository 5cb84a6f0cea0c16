"""Wiring for the sync inside the app: the CRM gateway and the Moulin source of a portal or store.

Both factories can be replaced through `app.extensions` (tests point them at the
sandboxes); by default tokens come from the install area and sources from the
stores' saved connections.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from flask import current_app

from hubspot_app import extensions
from hubspot_app.hubspot.crm import CrmGateway
from hubspot_app.hubspot.marketing import MarketingGateway
from hubspot_app.hubspot.ratelimit import make_limiter
from hubspot_app.moulin.ports import OrderSource

TOKEN_PROVIDER = "moulin.sync.token_provider"  # Callable[[int], str]
SOURCE_FACTORY = "moulin.sync.source_factory"  # Callable[[MoulinStore], OrderSource]
SDK_OPTIONS = "moulin.sync.sdk_options"  # e.g. {"client_side_validation": True}: tests check HubSpot's contract
LIMITER = "moulin.sync.limiter"  # one per app (= per process): every thread shares the portal's window


def _installed_tokens(app) -> Callable[[int], str]:
    # The gateway may call from the executor's threads, which have no app context of their own.
    def access_token(portal_id: int) -> str:
        with app.app_context():
            return extensions.tokens().access_token(portal_id)  # the install area's; refreshed before expiry
    return access_token


def now() -> datetime:
    """The app's clock (movable in tests and the demo): abandoned checkouts age by it."""
    return extensions.clock()()


def token_provider() -> Callable[[int], str]:
    return current_app.extensions.get(TOKEN_PROVIDER) or _installed_tokens(current_app._get_current_object())


def _limiter():
    limiter = current_app.extensions.get(LIMITER)
    if limiter is None:
        limiter = current_app.extensions.setdefault(LIMITER, make_limiter(extensions.config().redis_url))
    return limiter


def crm_for(portal_id: int) -> CrmGateway:
    return CrmGateway(portal_id, token_provider(), host=extensions.config().hubspot_api_base, limiter=_limiter(),
                      **current_app.extensions.get(SDK_OPTIONS, {}))


def marketing_for(portal_id: int) -> MarketingGateway:
    """Forms and subscriptions of a portal, through the same tokens and rate limiter as the CRM gateway."""
    config = extensions.config()
    return MarketingGateway(portal_id, token_provider(), api_base=config.hubspot_api_base,
                            forms_base=config.forms_base, limiter=_limiter())


def source_for(store) -> OrderSource:
    factory = current_app.extensions.get(SOURCE_FACTORY)
    if factory is not None:
        return factory(store)
    from hubspot_app.moulin.stores import client_for

    return client_for(store, extensions.cipher())
