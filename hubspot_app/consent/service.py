"""Consent both ways: Moulin's consent -> HubSpot's subscription status, HubSpot's -> Moulin's customers.

`consent_states` keeps, per address, the latest change either side made, with its time and source; a change
reaches the other side only when it is newer, so the echo of our own write (Moulin pushing back the consent we
sent, HubSpot's webhook for the status we set) stops here.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .. import extensions
from ..attribution.capabilities import capabilities
from ..db.models import AttributionSubmission, ConsentState, ObjectLink
from ..logs import log_event
from hubspot_app.domain.records import MarketingConsent, normalise_email
from ..moulin.stores import active_stores
from hubspot_app.domain.store_settings import StoreSettings
from hubspot_app import bootstrap
from hubspot_app.domain.consent import GRANTED, ConsentChange, from_hubspot, from_moulin, is_newer

logger = logging.getLogger(__name__)
EXPLANATION = "Consent given to the shop (Moulin), recorded {when} via {source}."


def _known(session: Session, portal_id: int, email: str) -> ConsentState | None:
    return session.scalar(select(ConsentState).where(ConsentState.portal_id == portal_id,
                                                     ConsentState.email == email))


def _keep(session: Session, portal_id: int, change: ConsentChange, pending_hubspot: bool) -> bool:
    row = _known(session, portal_id, change.email)
    # Only a different state that is more recent is a change: HubSpot stamps our own writes with its own time,
    # so comparing times alone would bounce every consent back to the side it came from.
    if row is not None and (row.status == change.status or not is_newer(change, row.changed_at)):
        return False
    if row is None:
        row = ConsentState(portal_id=portal_id, email=change.email)
        session.add(row)
    row.status, row.changed_at, row.source, row.pending_hubspot = (change.status, change.changed_at,
                                                                    change.source[:64], pending_hubspot)
    session.flush()
    return True


def record_moulin_consent(session: Session, portal_id: int, store_code: str, settings: StoreSettings,
                          customers) -> int:
    """The sync's hook: keep each customer's consent when it is newer than what is known. Returns how many."""
    if not settings.consent_sync or capabilities(session, portal_id).subscription_type_id is None:
        return 0
    kept = 0
    for customer in {c.id: c for c in customers if c is not None}.values():
        change = from_moulin(customer, store_code)
        if change is not None and _keep(session, portal_id, change, pending_hubspot=not change.from_hubspot):
            kept += 1
    return kept


def push_pending(portal_id: int) -> dict:
    """Write Moulin's newer consents to HubSpot's subscription status."""
    with extensions.db().session() as session:
        subscription_id = capabilities(session, portal_id).subscription_type_id
        pending = [(row.id, row.email, row.status, row.changed_at, row.source) for row in session.scalars(
            select(ConsentState).where(ConsentState.portal_id == portal_id, ConsentState.pending_hubspot))]
    if subscription_id is None or not pending:
        return {"pushed": 0}
    gateway = bootstrap.marketing_for(portal_id)
    for row_id, email, status, changed_at, source in pending:
        gateway.set_subscription(email, subscription_id, status == GRANTED,
                                 EXPLANATION.format(when=changed_at.isoformat(), source=source))
        with extensions.db().session() as session:
            row = session.get(ConsentState, row_id)
            if row.changed_at == changed_at:  # a newer change arrived meanwhile: it is sent on the next run
                row.pending_hubspot = False
    log_event(logger, "consent.pushed", portal_id=portal_id, count=len(pending))
    return {"pushed": len(pending)}


def apply_hubspot_status(session: Session, portal_id: int, email: str) -> str:
    """Read the address's status in HubSpot; when newer than what is known, send it to every store's customers."""
    subscription_id = capabilities(session, portal_id).subscription_type_id
    if subscription_id is None:
        return "consent sync is off (scopes or subscription type missing)"
    status = bootstrap.marketing_for(portal_id).subscription_status(email, subscription_id)
    change = status and status.timestamp and from_hubspot(email, status.status,
                                                           datetime.fromisoformat(status.timestamp), status.source)
    if not change:
        return "no HubSpot status for this address"
    if not _keep(session, portal_id, change, pending_hubspot=False):
        return "stale: a newer consent change is known"
    consent = MarketingConsent(marketing_email=change.status, changed_at=change.changed_at, source=change.source)
    sent = 0
    # A store that is down raises: the caller's transaction (and the state kept above) rolls back, so the
    # webhook event or the reconcile tries again later.
    for store in active_stores(session, portal_id):
        if not StoreSettings.of(store.settings).consent_sync:
            continue
        source = bootstrap.source_for(store)
        for customer in source.lookup_customer(email).customers:
            source.put_consent(customer.id, consent)
            sent += 1
    log_event(logger, "consent.to_moulin", portal_id=portal_id, customers=sent, status=change.status)
    return f"consent {change.status} sent to {sent} Moulin customer(s)"


def handle_optout_change(session: Session, event) -> str:
    """Webhook handler: a contact's opt-out changed in HubSpot (e.g. an unsubscribe link)."""
    linked = session.scalar(select(ObjectLink.id).where(
        ObjectLink.portal_id == event.portal_id, ObjectLink.kind == "contact",
        ObjectLink.hubspot_id == event.object_id).limit(1))
    if linked is None:
        return "no Moulin customer involved"
    # The contact's address as HubSpot has it now: how links are keyed is the sync's business, not ours.
    found = bootstrap.crm_for(event.portal_id).read("contacts", [event.object_id], ["email"])
    email = normalise_email((found.get(event.object_id) or {}).get("email"))
    if not email:
        return "the contact has no email"
    return apply_hubspot_status(session, event.portal_id, email)


def forget_addresses(session: Session, portal_id: int, emails: list[str]) -> None:
    """A privacy deletion: keep no consent of these addresses, and never send their queued checkouts (a
    submission would create the contact again)."""
    if not emails:
        return
    session.execute(delete(ConsentState).where(ConsentState.portal_id == portal_id, ConsentState.email.in_(emails)))
    wanted = set(emails)
    for row in session.scalars(select(AttributionSubmission).where(
            AttributionSubmission.portal_id == portal_id, AttributionSubmission.state == "pending")):
        if any(f.get("name") == "email" and f.get("value") in wanted for f in (row.payload or {}).get("fields", [])):
            session.delete(row)


def reconcile_consent(portal_id: int) -> dict:
    """Compare every known address with HubSpot (changes no webhook announced, e.g. one subscription type)."""
    with extensions.db().session() as session:
        emails = list(session.scalars(select(ConsentState.email).where(ConsentState.portal_id == portal_id)))
    for email in emails:
        with extensions.db().session() as session:
            apply_hubspot_status(session, portal_id, email)
    return {"checked": len(emails)}
