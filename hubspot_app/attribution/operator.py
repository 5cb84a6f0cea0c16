"""The operator pages' side of marketing: what runs, what does not and why, the counts, per-store switches."""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db.models import ConsentState, MoulinStore
from ..logs import log_event
from ..moulin.stores import StoreSettingsError, list_stores
from ..operator.stores import get_store
from hubspot_app.domain.store_settings import (DEFAULT_ATTRIBUTION_DAYS, MAX_ATTRIBUTION_DAYS, InvalidStoreSettings,
                              StoreSettings)
from .capabilities import capabilities
from .service import counts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MarketingStatus:
    attribution_missing: list[str]
    consent_missing: list[str]
    form_ready: bool
    subscription_ready: bool
    submissions: dict[str, int]
    consents: int
    stores: list[dict]

    @property
    def notices(self) -> list[str]:
        """What the app is not doing, and why, in the operator's words."""
        found = []
        for missing, ready, off, waiting in (
                (self.attribution_missing, self.form_ready,
                 "Checkout attribution is off: HubSpot did not grant the optional scope {scopes}, so checkouts are "
                 "not sent as form submissions and contacts get no original source from the shop's visits.",
                 "Checkout attribution starts within a minute: the “Moulin checkout” form is being made."),
                (self.consent_missing, self.subscription_ready,
                 "Consent sync is off: HubSpot did not grant the optional scopes {scopes}, so Moulin's email "
                 "consent does not reach HubSpot and unsubscribes in HubSpot do not reach Moulin.",
                 "Consent sync is waiting for an email subscription type in HubSpot.")):
            if missing:
                found.append(off.format(scopes=", ".join(missing)))
            elif not ready:
                found.append(waiting)
        return found


def marketing_status(session: Session, portal_id: int) -> MarketingStatus:
    caps = capabilities(session, portal_id)
    consents = session.scalar(select(func.count()).select_from(ConsentState).where(
        ConsentState.portal_id == portal_id)) or 0
    return MarketingStatus(caps.attribution_missing, caps.consent_missing, caps.checkout_form_id is not None,
                           caps.subscription_type_id is not None, counts(session, portal_id), consents,
                           [{"name": s.name, "code": s.code, **marketing_settings(s)}
                            for s in list_stores(session, portal_id)])


def marketing_settings(store: MoulinStore) -> dict:
    settings = StoreSettings.of(store.settings)
    return {"attribution": settings.attribution, "attribution_max_age_days": settings.attribution_max_age_days,
            "consent_sync": settings.consent_sync}


def save_marketing_settings(session: Session, portal_id: int, store_id: int, form: Mapping[str, str]) -> MoulinStore:
    store = get_store(session, portal_id, store_id)
    raw_days = (form.get("attribution_max_age_days") or str(DEFAULT_ATTRIBUTION_DAYS)).strip()
    if not raw_days.isascii() or not raw_days.isdigit() or len(raw_days) > 4:
        raise StoreSettingsError(f"attribution_max_age_days: a whole number of days from 1 to {MAX_ATTRIBUTION_DAYS}")
    chosen = {"attribution": form.get("attribution") == "on", "attribution_max_age_days": int(raw_days),
              "consent_sync": form.get("consent_sync") == "on"}
    try:
        settings = replace(StoreSettings.of(store.settings), **chosen)
    except InvalidStoreSettings as error:
        raise StoreSettingsError(str(error)) from None
    store.settings = {**(store.settings or {}), **settings.to_row()}  # a new dict: JSON columns notice reassignment
    log_event(log, "operator.marketing_settings_saved", portal_id=portal_id,
              store=store.code, **chosen)
    return store
