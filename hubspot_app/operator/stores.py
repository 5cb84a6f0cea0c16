"""Operator use cases for Moulin stores: connect (after a live check), test, and change a store's settings.

Every function takes the portal id from the signed-in session and looks the
store up *within* that portal, so an id typed into a URL never reaches
another portal's store.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import extensions
from ..crypto import SecretCipher
from ..db.models import MoulinStore
from ..logs import log_event
from ..moulin.address_guard import StoreAddressRefused
from ..moulin.client import MoulinClient
from ..moulin.errors import MoulinAuthError, MoulinError, MoulinNotFound, MoulinUnavailable
from hubspot_app.domain.order_links import template_problem
from hubspot_app.domain.records import OrderStatus
from ..moulin.stores import (StoreSettingsError, check_api_url, check_order_url_template, check_room_for_store,
                             client_for, connect_store)
from hubspot_app.domain.store_settings import InvalidStoreSettings, StoreSettings
from ..config import CART_SCOPES, ORDER_SCOPES
from ..sync.backfill import restart_backfill
from ..sync.setup import carts_granted, orders_granted
from hubspot_app.domain.stages import DEFAULT_MAPPING, STAGES, validate_mapping

log = logging.getLogger(__name__)

# The check runs while the operator waits on the page: one try, a short timeout.
CHECK_OPTIONS = {"timeout": 5.0, "retries": 0, "max_body": 1_000_000, "deadline_s": 10.0}


class StoreNotFound(LookupError):
    """No such store in this portal."""


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    message: str


def ping_store(client: MoulinClient) -> ConnectionCheck:
    """Ping the store and say, in words an operator can act on, what is wrong.

    Only our own words and the HTTP status reach the page: the answer's body is
    whatever the URL's owner wrote, and the URL may not be a Moulin at all.
    """
    try:
        client.ping()
    except StoreAddressRefused as error:
        return ConnectionCheck(False, f"This address is refused: {error}.")
    except MoulinAuthError:
        return ConnectionCheck(False, "Moulin refused the API key. Copy it again from Moulin's API settings.")
    except MoulinNotFound:
        return ConnectionCheck(False, "This URL answers, but not as a Moulin API (no /ping). Check the API URL.")
    except MoulinUnavailable as error:
        return ConnectionCheck(False, f"Moulin could not be reached: {error}. Check the API URL, or try again.")
    except MoulinError as error:
        return ConnectionCheck(False, f"Moulin answered with an error: {error}.")
    return ConnectionCheck(True, "Connected: Moulin answered and accepted the API key.")


def connect_checked(session: Session, cipher: SecretCipher, portal_id: int, form: Mapping[str, str]
                    ) -> tuple[MoulinStore, str]:
    """Connect a store only once Moulin accepts its URL and key; returns the store and its push secret (once)."""
    api_url, api_key = (form.get("api_url") or "").strip(), (form.get("api_key") or "").strip()
    if not api_url or not api_key:
        raise StoreSettingsError("api_url and api_key: both are required")
    # What can be refused without a call is refused first: no request leaves for a URL we would not keep.
    check_api_url(api_url, extensions.store_address_policy())
    check_order_url_template((form.get("order_url_template") or "").strip() or None)
    check_room_for_store(session, portal_id, extensions.config().max_stores_per_portal)
    check = ping_store(MoulinClient(api_url, api_key, policy=extensions.store_address_policy(), **CHECK_OPTIONS))
    if not check.ok:
        raise StoreSettingsError(check.message)
    store, push_secret = connect_store(session, cipher, portal_id, form.get("code", ""), form.get("name", ""),
                                       api_url, api_key, (form.get("order_url_template") or "").strip() or None)
    store.settings = StoreSettings().to_row()
    log_event(log, "operator.store_connected", portal_id=portal_id, store=store.code)
    return store, push_secret


def get_store(session: Session, portal_id: int, store_id: int) -> MoulinStore:
    store = session.scalar(select(MoulinStore).where(MoulinStore.portal_id == portal_id, MoulinStore.id == store_id))
    if store is None:
        raise StoreNotFound(store_id)
    return store


def check_connection(session: Session, cipher: SecretCipher, portal_id: int, store_id: int) -> ConnectionCheck:
    store = get_store(session, portal_id, store_id)
    check = ping_store(client_for(store, cipher, **CHECK_OPTIONS))
    log_event(log, "operator.store_checked", portal_id=portal_id, store=store.code, ok=check.ok)
    return check


def new_push_secret(session: Session, cipher: SecretCipher, portal_id: int, store_id: int) -> tuple[MoulinStore, str]:
    """Replace a lost or leaked push secret; the old one stops working at once. Returned here only, once."""
    store = get_store(session, portal_id, store_id)
    push_secret = secrets.token_urlsafe(32)
    store.push_secret_enc = cipher.encrypt(push_secret)
    log_event(log, "operator.push_secret_replaced", portal_id=portal_id, store=store.code)
    return store, push_secret


@dataclass(frozen=True)
class MappingRow:
    status: str
    stage: str  # "" = the engine's own rule (partial refunds follow fulfilment)
    default: str


def mapping_rows(store: MoulinStore) -> list[MappingRow]:
    """One row per Moulin status: the stage in force, defaults included, for the mapping form."""
    return [MappingRow(status.value, store.stage_mapping.get(status.value, DEFAULT_MAPPING.get(status.value, "")),
                       DEFAULT_MAPPING.get(status.value, ""))
            for status in OrderStatus]


def stage_choices() -> list[tuple[str, str]]:
    return [(key, label) for key, label, _ in STAGES]


def parse_store_settings(form: Mapping[str, str]) -> tuple[dict[str, str], dict]:
    """The mapping overrides (only what differs from the defaults) and the behaviour settings of a form."""
    mapping = {}
    for status in OrderStatus:
        chosen = (form.get(f"stage.{status.value}") or "").strip()
        if chosen and chosen != DEFAULT_MAPPING.get(status.value):
            mapping[status.value] = chosen
    problems = validate_mapping(mapping)
    if problems:
        raise StoreSettingsError("; ".join(problems))
    defaults = StoreSettings()
    hours = (form.get("abandon_after_hours") or "").strip()
    settings = {"recreate_deleted_deals": form.get("recreate_deleted_deals") == "on",
                "stage_source": form.get("stage_source", defaults.stage_source),
                "abandon_after_hours": (int(hours) if hours.isdigit() else hours) if hours else defaults.abandon_after_hours,
                "product_deletion": form.get("product_deletion", defaults.product_deletion)}
    if "target" in form:  # a form without it (an older page) leaves the store's target as it is
        settings["target"] = form["target"]
    try:
        StoreSettings.of(settings)  # the rules live there
    except InvalidStoreSettings as error:
        raise StoreSettingsError(str(error)) from None
    return mapping, settings


def save_store_settings(session: Session, portal_id: int, store_id: int, form: Mapping[str, str]
                        ) -> tuple[MoulinStore, bool]:
    """Returns the store and whether its backfill must start again (a target was added: the new one gets every
    order, the old one is left as it is); the caller starts it once this is committed."""
    store = get_store(session, portal_id, store_id)
    mapping, settings = parse_store_settings(form)
    before = StoreSettings.of(store.settings)
    template = (form.get("order_url_template") or "").strip() or None
    check_order_url_template(template)
    # New dicts, not in-place edits: SQLAlchemy's JSON columns only notice reassignment.
    store.stage_mapping = mapping
    store.settings = {**(store.settings or {}), **settings}
    store.order_url_template = template
    added = before.targets_added(StoreSettings.of(store.settings))
    if added:
        restart_backfill(session, portal_id, store.code)
    log_event(log, "operator.store_settings_saved", portal_id=portal_id, store=store.code,
              overrides=len(mapping), targets_added=added, **settings)
    return store, added


def store_warnings(store: MoulinStore) -> list[str]:
    """What the operator should fix in a store saved before today's rules (it still syncs meanwhile)."""
    problem = store.order_url_template and template_problem(store.order_url_template)
    return [f"The saved order link is unusable ({problem}): orders sync without a link until it is fixed."
            ] if problem else []


def store_settings(store: MoulinStore) -> StoreSettings:
    return StoreSettings.of(store.settings)


@dataclass(frozen=True)
class OrdersStatus:
    """Whether a store may send its orders to HubSpot's native Orders, and if not, why and how to allow it."""

    granted: bool
    missing: tuple[str, ...]
    carts_missing: tuple[str, ...] = ()  # orders allowed, carts not: checkouts are not sent as HubSpot carts

    @property
    def carts_notice(self) -> str | None:
        if not self.carts_missing:
            return None
        return (f"HubSpot's Carts are off: HubSpot did not grant the optional scopes {', '.join(self.carts_missing)}, "
                "so a store sending its orders to HubSpot's Orders sends no carts (no abandoned-cart email from "
                "carts; the deal's Checkout recovery URL still works on the deals target). To allow them, install "
                "the app again and accept the optional cart scopes; the cart properties are made at the next sync.")

    @property
    def notice(self) -> str | None:
        if self.granted:
            return None
        return (f"HubSpot's Orders are off: HubSpot did not grant the optional scopes {', '.join(self.missing)}, "
                "so every store's orders go to deals, whatever it chose below. To allow them, install the app "
                "again and accept the optional order scopes; the order pipeline is made at the next sync.")


def orders_status(session: Session, portal_id: int) -> OrdersStatus:
    granted = orders_granted(session, portal_id)
    carts = not granted or carts_granted(session, portal_id)  # without orders, the orders notice says it all
    return OrdersStatus(granted, () if granted else ORDER_SCOPES, () if carts else CART_SCOPES)
