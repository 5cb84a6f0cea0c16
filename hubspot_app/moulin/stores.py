"""Connected Moulin stores: a portal may connect several (e.g. the B2C shop and the B2B shop)."""
from __future__ import annotations

import re
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import extensions
from ..crypto import SecretCipher
from ..db.models import MoulinStore
from hubspot_app.domain.store_settings import StoreSettings
from .address_guard import AddressPolicy, StoreAddressRefused, check_store_url
from .client import MoulinClient
from hubspot_app.domain.order_links import template_problem

CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class StoreSettingsError(ValueError):
    """A store setting is unusable; the message names it, for the settings form."""


def check_api_url(api_url: str, policy: AddressPolicy) -> None:
    try:
        check_store_url(api_url.strip(), allow_private=policy.allow_private)
    except StoreAddressRefused as error:
        raise StoreSettingsError(str(error)) from None


def check_order_url_template(template: str | None) -> None:
    problem = template and template_problem(template)
    if problem:
        raise StoreSettingsError(problem)


def check_room_for_store(session: Session, portal_id: int, limit: int) -> None:
    count = session.scalar(select(func.count()).select_from(MoulinStore).where(MoulinStore.portal_id == portal_id))
    if count >= limit:
        raise StoreSettingsError(f"this portal already has {count} stores, the most allowed "
                                 f"(MAX_STORES_PER_PORTAL = {limit}); disconnect one first")


def connect_store(session: Session, cipher: SecretCipher, portal_id: int, code: str, name: str, api_url: str,
                  api_key: str, order_url_template: str | None = None) -> tuple[MoulinStore, str]:
    """Add a store to a portal. The push secret is returned here once, to be pasted into Moulin."""
    code = code.strip().lower()
    if not CODE.match(code):
        raise StoreSettingsError("code: lower-case letters, digits, '-' or '_', at most 64")
    check_api_url(api_url, extensions.store_address_policy())
    if not api_key.strip():
        raise StoreSettingsError("api_key: required")
    if not name.strip():
        raise StoreSettingsError("name: required")
    check_order_url_template(order_url_template)
    check_room_for_store(session, portal_id, extensions.config().max_stores_per_portal)
    taken = session.scalar(select(MoulinStore.id).where(MoulinStore.portal_id == portal_id, MoulinStore.code == code))
    if taken is not None:
        raise StoreSettingsError(f"code: this portal already has a store {code!r}")
    push_secret = secrets.token_urlsafe(32)
    store = MoulinStore(portal_id=portal_id, code=code, name=name.strip(), api_url=api_url.strip().rstrip("/"),
                        api_key_enc=cipher.encrypt(api_key.strip()), push_secret_enc=cipher.encrypt(push_secret),
                        order_url_template=order_url_template, stage_mapping={}, settings={})
    session.add(store)
    session.flush()
    return store, push_secret


def client_for(store: MoulinStore, cipher: SecretCipher, **options) -> MoulinClient:
    return MoulinClient(store.api_url, cipher.decrypt(store.api_key_enc), policy=extensions.store_address_policy(),
                        **options)


def list_stores(session: Session, portal_id: int) -> list[MoulinStore]:
    return list(session.scalars(select(MoulinStore).where(MoulinStore.portal_id == portal_id)
                                .order_by(MoulinStore.code)))


def is_paused(store: MoulinStore) -> bool:
    return StoreSettings.of(store.settings).paused


def active_stores(session: Session, portal_id: int) -> list[MoulinStore]:
    """The stores the app calls: a paused store is left alone by polls, backfills, Refreshes and reconciles."""
    return [store for store in list_stores(session, portal_id) if not is_paused(store)]


def find_store(session: Session, portal_id: int, code: str) -> MoulinStore | None:
    return session.scalar(select(MoulinStore).where(MoulinStore.portal_id == portal_id, MoulinStore.code == code))
