"""One small handler per event kind. Each is idempotent and order-safe: it records
a fact (last-writer-wins by occurredAt) and re-derives links from the facts, so
duplicates and reordered events converge on the same state. Each returns a
short outcome for the event row and the logs."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from ..db.models import CardOrder, MoulinStore, ObjectLink, SyncedCustomer, SyncedOrder
from ..db.models.webhooks import DealStageChange, PendingAssociation, SyncConflict, WebhookEvent
from ..consent.service import forget_addresses, handle_optout_change
from hubspot_app.domain.records import normalise_email
from hubspot_app.domain.store_settings import StoreSettings
from . import facts, lifecycle_runs, links
from hubspot_app.domain.webhook_rules import PRIVACY_DELETED, SYNCED, privacy_tombstone
from .events import ParsedEvent

Handler = Callable[[Session, ParsedEvent, int | None], str]


@dataclass(frozen=True)
class LifecycleHandler:
    """Records that an object was deleted or restored. Its events are applied per run (`lifecycle_runs`):
    a batch's deletions and restores are recorded together and projected once, set-based."""

    lifecycle: str

    def __call__(self, session: Session, event: ParsedEvent, _app_id: int | None) -> str:
        return lifecycle_runs.apply_run(session, [(event, self.lifecycle)])[0]


def handle_merge(session: Session, event: ParsedEvent, _app_id: int | None) -> str:
    raw, portal, kind, at = event.raw, event.portal_id, event.object_type, event.occurred_at_ms
    primary = str(raw.get("primaryObjectId") or event.object_id)
    survivor = str(raw.get("newObjectId") or primary)
    gone = {str(i) for i in raw.get("mergedObjectIds") or []} | {primary}
    gone.discard(survivor)
    for object_id in gone:
        facts.record_lifecycle(session, portal, kind, object_id, facts.MERGED, at, merged_into=survivor)
    facts.record_lifecycle(session, portal, kind, survivor, facts.LIVE, at)
    if kind == "contact":
        _reassociate_deals(session, portal, gone, survivor)
    changed = links.project(session, portal, kind, gone | {survivor})
    return f"merged {sorted(gone)} into {survivor}: {len(changed)} link(s) updated"


def _reassociate_deals(session: Session, portal_id: int, old_contacts: set[str], survivor: str) -> None:
    # Deals are found through their links, not the card's deal id, which a deal deletion clears: the
    # result must not depend on which of the two events was processed first.
    orders = session.execute(select(CardOrder.store_code, CardOrder.order_id).where(
        CardOrder.portal_id == portal_id, CardOrder.hubspot_contact_id.in_(old_contacts)))
    keys = [f"{store}:{order}" for store, order in orders]
    # Nulls left out here, not in SQL: beside the key list, `hubspot_id IS NOT NULL` made SQLite read every deal
    # link through the HubSpot id's index.
    found = session.scalars(select(ObjectLink.hubspot_id).where(
        ObjectLink.portal_id == portal_id, ObjectLink.kind == "deal", ObjectLink.source_key.in_(keys))) if keys else []
    deal_ids = {deal_id for deal_id in found if deal_id is not None}
    known = set(session.scalars(select(PendingAssociation.from_id).where(
        PendingAssociation.portal_id == portal_id, PendingAssociation.from_type == "deal",
        PendingAssociation.to_type == "contact", PendingAssociation.to_id == survivor)))
    for deal_id in sorted(deal_ids - known):
        session.add(PendingAssociation(portal_id=portal_id, from_type="deal", from_id=deal_id,
                                       to_type="contact", to_id=survivor, reason="contact merged"))


def handle_privacy_deletion(session: Session, event: ParsedEvent, app_id: int | None) -> str:
    portal, contact_id = event.portal_id, event.object_id
    emails = [link.source_key for link in links.links_to(session, portal, "contact", {contact_id})
              if not link.source_key.startswith("privacy:")]
    outcome = LifecycleHandler(facts.PRIVACY_DELETED)(session, event, app_id)
    forget_addresses(session, portal, emails)
    # Whatever order events came in, nothing personal about this contact stays with us.
    if emails:
        session.execute(update(CardOrder).where(CardOrder.portal_id == portal, CardOrder.contact_email.in_(emails))
                        .values(contact_email=None, hubspot_contact_id=None)
                        .execution_options(synchronize_session=False))
        session.execute(delete(SyncedCustomer).where(SyncedCustomer.portal_id == portal, or_(
            SyncedCustomer.contact_key.in_(emails), SyncedCustomer.email.in_(emails))))
    for email in emails:  # the sync's order facts keep counting under the tombstone, never under the email
        session.execute(update(SyncedOrder).where(SyncedOrder.portal_id == portal, SyncedOrder.contact_email == email)
                        .values(contact_email=privacy_tombstone(email)).execution_options(synchronize_session=False))
    session.execute(delete(SyncConflict).where(SyncConflict.portal_id == portal, SyncConflict.kind == "contact",
                                               SyncConflict.hubspot_id == contact_id))
    for row in session.scalars(select(WebhookEvent).where(
            WebhookEvent.portal_id == portal, WebhookEvent.object_type == "contact",
            WebhookEvent.object_id == contact_id)):
        if "propertyValue" in row.payload:
            row.payload = {k: v for k, v in row.payload.items() if k != "propertyValue"}
    return outcome


def _conflict(session: Session, event: ParsedEvent, reason: str, detail: str) -> str:
    exists = session.scalar(select(SyncConflict.id).where(
        SyncConflict.portal_id == event.portal_id, SyncConflict.kind == "contact",
        SyncConflict.hubspot_id == event.object_id, SyncConflict.reason == reason,
        SyncConflict.occurred_at_ms == event.occurred_at_ms))
    if exists is None:
        session.add(SyncConflict(portal_id=event.portal_id, kind="contact", hubspot_id=event.object_id,
                                 reason=reason, detail=detail, occurred_at_ms=event.occurred_at_ms))
    return f"conflict: {reason}"


def handle_email_change(session: Session, event: ParsedEvent, app_id: int | None) -> str:
    portal, contact_id = event.portal_id, event.object_id
    state = facts.record_email_change(session, portal, contact_id, event.occurred_at_ms)
    if state is None:
        return "stale: a newer email change is known"
    if state.lifecycle == facts.PRIVACY_DELETED:
        return "ignored: contact was privacy-deleted"
    if _is_own_change(event, app_id):
        return "ignored: our own write"
    new_email = normalise_email(str(event.raw.get("propertyValue") or ""))
    current = [link for link in links.links_to(session, portal, "contact", {contact_id})
               if link.source_key != new_email]
    target = session.scalar(select(ObjectLink).where(
        ObjectLink.portal_id == portal, ObjectLink.kind == "contact", ObjectLink.source_key == new_email)) \
        if new_email else None
    if target is None or target.state == PRIVACY_DELETED:
        if not current:
            return "no Moulin customer involved"
        return _conflict(session, event, "email_changed_to_unknown_customer",
                         f"HubSpot contact {contact_id} now has an email no Moulin customer has; "
                         f"it stays linked to {len(current)} Moulin customer(s) until an operator decides")
    if target.hubspot_id not in (None, contact_id):
        other, lifecycle = facts.resolve(session, portal, "contact", target.hubspot_id)
        if other != contact_id and lifecycle == facts.LIVE:
            return _conflict(session, event, "email_matches_customer_linked_elsewhere",
                             f"HubSpot contact {contact_id} took the email of a Moulin customer already linked "
                             f"to HubSpot contact {other}")
    survivor, lifecycle = facts.resolve(session, portal, "contact", contact_id)
    target.hubspot_id = survivor
    target.state = links.link_state_for(SYNCED, lifecycle)
    for link in current:  # the previous customer gets its own contact at its next sync
        link.hubspot_id, link.state = None, SYNCED
    session.execute(update(CardOrder).where(CardOrder.portal_id == portal, CardOrder.hubspot_contact_id == contact_id,
                                            CardOrder.contact_email != new_email)
                    .values(hubspot_contact_id=None).execution_options(synchronize_session=False))
    links.reattach_cards(session, portal, "contact", {contact_id})
    return f"relinked to the Moulin customer with the new email ({len(current)} unlinked)"


def _is_own_change(event: ParsedEvent, app_id: int | None) -> bool:
    # HubSpot marks API writes with the writing app's id in sourceId ("<appId>" or "app-<appId>" forms seen).
    source = str(event.raw.get("sourceId") or "")
    return app_id is not None and source.removeprefix("app-") == str(app_id)


def handle_deal_stage(session: Session, event: ParsedEvent, app_id: int | None) -> str:
    if _is_own_change(event, app_id):
        return "ignored: our own write"
    portal, deal_id, stage = event.portal_id, event.object_id, str(event.raw.get("propertyValue") or "")
    link = next(iter(links.links_to(session, portal, "deal", {deal_id})), None)
    order_key = link.source_key if link else None
    settings = None
    if order_key:
        store = session.scalar(select(MoulinStore).where(MoulinStore.portal_id == portal,
                                                          MoulinStore.code == order_key.split(":", 1)[0]))
        settings = store.settings if store else None
    adopted = StoreSettings.of(settings).hubspot_owns_stages
    exists = session.scalar(select(DealStageChange.id).where(
        DealStageChange.portal_id == portal, DealStageChange.hubspot_deal_id == deal_id,
        DealStageChange.occurred_at_ms == event.occurred_at_ms, DealStageChange.stage == stage))
    if exists is None:
        session.add(DealStageChange(portal_id=portal, hubspot_deal_id=deal_id, order_key=order_key, stage=stage,
                                    change_source=event.raw.get("changeSource"), adopted=adopted,
                                    occurred_at_ms=event.occurred_at_ms))
    return f"stage change recorded ({'adopted' if adopted else 'Moulin stays the source'})"


def handle_optout(session: Session, event: ParsedEvent, app_id: int | None) -> str:
    """An unsubscribe (or resubscribe) seen in HubSpot."""
    return "ignored: our own write" if _is_own_change(event, app_id) else handle_optout_change(session, event)


# The one registry of what we act on: (object type, action, property for propertyChange else None) -> handler.
# Intake stores only these events; everything else is acknowledged and logged. The subscriptions declared to
# HubSpot (crm_cards/.../webhooks-hsmeta.json) are checked against it by tests/unit/test_webhooks_hsmeta.py.
HANDLERS: dict[tuple[str, str, str | None], Handler] = {
    ("contact", "deletion", None): LifecycleHandler(facts.DELETED),
    ("contact", "restore", None): LifecycleHandler(facts.LIVE),
    ("contact", "privacyDeletion", None): handle_privacy_deletion,
    ("contact", "merge", None): handle_merge,
    ("contact", "propertyChange", "email"): handle_email_change,
    ("contact", "propertyChange", "hs_email_optout"): handle_optout,
    ("company", "deletion", None): LifecycleHandler(facts.DELETED),
    ("company", "restore", None): LifecycleHandler(facts.LIVE),
    ("company", "merge", None): handle_merge,
    ("deal", "deletion", None): LifecycleHandler(facts.DELETED),
    ("deal", "restore", None): LifecycleHandler(facts.LIVE),
    ("deal", "merge", None): handle_merge,
    ("deal", "propertyChange", "dealstage"): handle_deal_stage,
    # A HubSpot order is the Moulin order too: the deal's rules (`contract.may_recreate`, the card's order id).
    ("order", "deletion", None): LifecycleHandler(facts.DELETED),
    ("order", "restore", None): LifecycleHandler(facts.LIVE),
    ("order", "merge", None): handle_merge,
    # A cart follows the deal rules: deleted by a person, it stays deleted unless the store re-creates deals.
    # HubSpot documents no merge of carts (/work/wt/commerce-facts.md, "Webhooks"): none is subscribed.
    ("cart", "deletion", None): LifecycleHandler(facts.DELETED),
    ("cart", "restore", None): LifecycleHandler(facts.LIVE),
    ("product", "deletion", None): LifecycleHandler(facts.DELETED),
    ("line_item", "deletion", None): LifecycleHandler(facts.DELETED),
}


def handler_for(event: ParsedEvent) -> Handler | None:
    return HANDLERS.get(event.handler_key)
