"""Checkout attribution: set up the form, record eligible checkouts during the sync, send each exactly once.

A row per order (`attribution_submissions`, unique per order) is what makes a submission happen at most once
across retries, backfills and reconciles: the sync only ever inserts it if absent, and the sender claims it
(pending -> sending) in its own committed transaction before calling HubSpot. A crash after the call leaves it
in `sending`, never re-sent, because HubSpot's form submissions are not idempotent.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .. import extensions
from ..db.base import insert_skipping_conflicts, now_of
from ..db.models import AttributionSubmission, MarketingSetup
from ..hubspot.errors import HubSpotError, RateLimited
from ..hubspot.marketing import SubmissionRejected
from ..logs import log_event
from hubspot_app.domain.store_settings import StoreSettings
from hubspot_app import bootstrap
from .capabilities import capabilities
from hubspot_app.domain.attribution import FORM_NAME, StoreRules, eligible, form_fields, legal_consent, submission

logger = logging.getLogger(__name__)
SEND_BATCH = 200


def setup_marketing(portal_id: int) -> dict:
    """Create the "Moulin checkout" form and pick the marketing subscription type, as far as the scopes allow."""
    with extensions.db().session() as session:
        caps = capabilities(session, portal_id)
        form_id = caps.setup.checkout_form_id if caps.setup else None
        subscription_id = caps.setup.subscription_type_id if caps.setup else None
    if caps.attribution_missing and caps.consent_missing:
        return {"portal_id": portal_id, "checkout_form_id": None, "subscription_type_id": None}
    gateway = bootstrap.marketing_for(portal_id)
    if not caps.attribution_missing and (form_id is None or not gateway.form_exists(form_id)):
        form_id = gateway.create_form(FORM_NAME, form_fields())
    if not caps.consent_missing and subscription_id is None:
        subscription_id = _marketing_subscription(gateway.subscription_definitions())
    with extensions.db().session() as session:
        row = session.scalar(select(MarketingSetup).where(MarketingSetup.portal_id == portal_id))
        if row is None:
            row = MarketingSetup(portal_id=portal_id)
            session.add(row)
        row.checkout_form_id, row.subscription_type_id = form_id, subscription_id
    log_event(logger, "marketing.setup", portal_id=portal_id, form=bool(form_id), subscription=bool(subscription_id))
    return {"portal_id": portal_id, "checkout_form_id": form_id, "subscription_type_id": subscription_id}


def _marketing_subscription(definitions: list[dict]) -> int | None:
    """The account's marketing email type: active, not internal; the one marked Marketing first."""
    usable = [d for d in definitions if d.get("isActive", True) and not d.get("isInternal")]
    usable.sort(key=lambda d: (str(d.get("purpose", "")).lower() != "marketing", not d.get("isDefault")))
    return int(usable[0]["id"]) if usable else None


def record_checkouts(session: Session, portal_id: int, store_code: str, settings: StoreSettings, orders, customer_of,
                     now: datetime) -> int:
    """The sync's hook: queue one submission for each eligible order not queued before. Returns how many."""
    form_id = capabilities(session, portal_id).checkout_form_id
    if form_id is None:
        return 0
    rules = StoreRules.of(settings)
    rows = [{"portal_id": portal_id, "store_code": store_code, "order_id": order.id, "state": "pending",
             "payload": submission(order, customer), "created_at": now}
            for order in orders if eligible(order, customer := customer_of(order), rules, now)]
    if not rows:
        return 0
    session.execute(insert_skipping_conflicts(session, AttributionSubmission, ["portal_id", "store_code", "order_id"]),
                    rows)
    return len(rows)


def submit_pending(portal_id: int) -> dict:
    """Send every pending submission of the portal, one by one; stop at a rate limit (the job runs again)."""
    with extensions.db().session() as session:
        caps = capabilities(session, portal_id)
        ids = list(session.scalars(select(AttributionSubmission.id).where(
            AttributionSubmission.portal_id == portal_id, AttributionSubmission.state == "pending")
            .order_by(AttributionSubmission.id).limit(SEND_BATCH)))
    report = {"submitted": 0, "rejected": 0, "failed": 0}
    if caps.checkout_form_id is None or not ids:
        return report
    gateway = bootstrap.marketing_for(portal_id)
    for row_id in ids:
        payload = _claim(row_id)
        if payload is None:
            continue  # another worker took it
        try:
            gateway.submit(caps.checkout_form_id, payload["fields"], payload["context"],
                           legal_consent(payload["marketing_email"], caps.subscription_type_id))
        except RateLimited:
            _release(row_id)  # HubSpot did not take it: it stays pending for the next run
            raise
        except SubmissionRejected as error:
            _finish(row_id, "rejected", str(error))
            report["rejected"] += 1
            log_event(logger, "attribution.rejected", logging.WARNING, portal_id=portal_id, row=row_id,
                      error_types=error.error_types)
            continue
        except HubSpotError as error:
            _finish(row_id, "failed", f"{type(error).__name__}: {error}")
            report["failed"] += 1
            continue
        _finish(row_id, "submitted", None)
        report["submitted"] += 1
    log_event(logger, "attribution.sent", portal_id=portal_id, **report)
    return report


def _claim(row_id: int) -> dict | None:
    with extensions.db().session() as session:
        claimed = session.execute(update(AttributionSubmission).where(
            AttributionSubmission.id == row_id, AttributionSubmission.state == "pending").values(state="sending"))
        if claimed.rowcount != 1:
            return None
        return session.get(AttributionSubmission, row_id).payload


def _release(row_id: int) -> None:
    with extensions.db().session() as session:
        session.get(AttributionSubmission, row_id).state = "pending"


def _finish(row_id: int, state: str, reason: str | None) -> None:
    with extensions.db().session() as session:
        row = session.get(AttributionSubmission, row_id)
        # Sent or refused: the personal data it carried is not kept.
        row.state, row.reason, row.payload, row.sent_at = state, reason, None, now_of(session)


def counts(session: Session, portal_id: int) -> dict[str, int]:
    """Submissions per state, for the settings page and the demo."""
    rows = session.execute(select(AttributionSubmission.state, func.count()).where(
        AttributionSubmission.portal_id == portal_id).group_by(AttributionSubmission.state))
    return {state: n for state, n in rows}
