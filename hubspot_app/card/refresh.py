"""The card's Refresh: pull one contact's orders from Moulin now, sync them, answer with the fresh list.

Three guards keep a button from hurting anyone:
- a per-contact rate limit, shared by every worker (a compare-and-swap on `card_refreshes`);
- a time budget well inside HubSpot's 15 s: past it the sync keeps running in
  the background and the card is told so instead of timing out;
- failures map to clear errors, and the sync reads every store before it
  writes anything, so when Moulin is down the old data stays as it was.

The sync itself is a port, `bootstrap.Adapters.card_refresher`: `(portal_id, email) -> dict`,
by default `hubspot_app.sync.engine.sync_customer_orders`.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor, TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from flask import Flask, current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from .. import extensions
from ..db.models import CardOrder, CardRefresh
from ..hubspot.errors import HubSpotError, TransientError
from ..logs import log_event
from ..moulin.errors import MoulinError, MoulinUnavailable
from hubspot_app.domain.records import normalise_email
from .errors import NotFound, TooSoon, Unavailable, UpstreamFailed
from .read_model import PageRequest, contact_email, contact_orders

logger = logging.getLogger(__name__)

_POOL = "moulin.card_refresh_pool"
_POOL_LOCK = threading.Lock()


@dataclass(frozen=True)
class RefreshPolicy:
    interval_s: float = 10.0  # at most one Refresh per contact this often
    budget_s: float = 10.0  # HubSpot gives up after 15 s; leave room for the list and the network
    workers: int = 4


@dataclass(frozen=True)
class RefreshOutcome:
    finished: bool
    report: dict | None
    listing: dict

    def summary(self) -> dict:
        """The `refresh` part of a finished Refresh's answer: "partial" names each store that was down."""
        report = self.report or {}
        down = report.get("unavailable") or []
        if not down:
            return {"status": "done", **report}
        names = ", ".join(f"{store['name']} ({store['store']})" for store in down)
        return {"status": "partial", **report,
                "message": f"Moulin store {names} is not answering: its orders are shown from the last sync; "
                           "the other stores are up to date."}


def policy() -> RefreshPolicy:
    from hubspot_app.bootstrap import adapters

    return adapters().card_refresh_policy or RefreshPolicy()


def _refresher() -> Callable[[int, str], dict]:
    from hubspot_app.bootstrap import adapters

    port = adapters().card_refresher
    if port is not None:
        return port
    from ..sync.engine import sync_customer_orders

    return sync_customer_orders


def _pool(app: Flask, workers: int) -> ThreadPoolExecutor:
    with _POOL_LOCK:  # gthread workers serve requests on several threads at once
        pool = app.extensions.get(_POOL)
        if pool is None:
            pool = app.extensions[_POOL] = ThreadPoolExecutor(workers, thread_name_prefix="card-refresh")
        return pool


# --- rate limit ---------------------------------------------------------------------------------------------

def claim(portal_id: int, contact_id: str, rules: RefreshPolicy) -> datetime:
    """Take this contact's Refresh slot or raise TooSoon. Returns the claim's timestamp (to release it)."""
    db = extensions.db()
    now = extensions.clock()()
    try:
        with db.session() as session:
            session.add(CardRefresh(portal_id=portal_id, hubspot_contact_id=contact_id, started_at=now))
        return now
    except IntegrityError:
        pass  # a row exists: swap it only if it is old enough
    free_before = now - timedelta(seconds=rules.interval_s)
    mine = (CardRefresh.portal_id == portal_id, CardRefresh.hubspot_contact_id == contact_id)
    with db.session() as session:
        swapped = session.execute(
            update(CardRefresh).where(*mine, CardRefresh.started_at <= free_before).values(started_at=now)
        ).rowcount
        if swapped == 1:
            return now
        last = session.execute(select(CardRefresh.started_at).where(*mine)).scalar()
    wait = max(1, int(rules.interval_s - (now - last).total_seconds() + 0.999)) if last else int(rules.interval_s)
    raise TooSoon(f"This contact was refreshed moments ago. Try again in {wait} s.", retry_after=wait)


def release(portal_id: int, contact_id: str, claimed_at: datetime) -> None:
    """A failed Refresh did no work: give the slot back so the user (or HubSpot's one retry) may try again."""
    with extensions.db().session() as session:
        session.execute(delete(CardRefresh).where(
            CardRefresh.portal_id == portal_id, CardRefresh.hubspot_contact_id == contact_id,
            CardRefresh.started_at == claimed_at))


# --- the contact's email --------------------------------------------------------------------------------------

def email_for(portal_id: int, contact_id: str) -> str:
    """Our link first, then the read model; HubSpot only for a contact we have never synced."""
    with extensions.db().session() as session:
        email = contact_email(session, portal_id, contact_id) or session.execute(
            select(CardOrder.contact_email).where(
                CardOrder.portal_id == portal_id, CardOrder.hubspot_contact_id == contact_id,
                CardOrder.contact_email.is_not(None)).limit(1)).scalar()
    if email:
        return email
    from hubspot_app import bootstrap

    try:
        found = bootstrap.crm_for(portal_id).read("contacts", [contact_id], ["email"])
    except HubSpotError as error:
        raise _mapped(error) from error
    email = normalise_email((found.get(contact_id) or {}).get("email"))
    if not email:
        raise NotFound("This contact has no email address, so there is nothing to look up in Moulin.")
    return email


# --- the Refresh itself -----------------------------------------------------------------------------------------

def _mapped(error: Exception):
    from ..sync.engine import MoulinDown

    if isinstance(error, (MoulinDown, MoulinUnavailable)):
        return Unavailable(f"Moulin is not answering right now; the orders shown are from the last sync. ({error})")
    if isinstance(error, MoulinError):
        return UpstreamFailed(f"Moulin refused the request; the orders shown are from the last sync. ({error})")
    if isinstance(error, TransientError):
        return Unavailable("HubSpot is busy right now; the orders shown are from the last sync. Try again shortly.")
    if isinstance(error, HubSpotError):
        return UpstreamFailed(f"HubSpot refused the update; the orders shown are from the last sync. ({error})")
    return None


def refresh_contact(portal_id: int, contact_id: str, paging: PageRequest) -> RefreshOutcome:
    rules = policy()
    claimed_at = claim(portal_id, contact_id, rules)
    try:
        email = email_for(portal_id, contact_id)
    except BaseException:
        release(portal_id, contact_id, claimed_at)
        raise
    app = current_app._get_current_object()
    sync = _refresher()

    def job() -> dict:
        with app.app_context():
            try:
                return sync(portal_id, email)
            except BaseException:
                release(portal_id, contact_id, claimed_at)
                raise

    log_event(logger, "card.refresh.start", portal_id=portal_id, contact_id=contact_id)
    future = _pool(app, rules.workers).submit(job)
    try:
        report = future.result(timeout=rules.budget_s)
    except FutureTimeout:
        log_event(logger, "card.refresh.over_budget", logging.WARNING, portal_id=portal_id, contact_id=contact_id,
                  budget_s=rules.budget_s)
        report = None
    except Exception as error:
        mapped = _mapped(error)
        log_event(logger, "card.refresh.failed", logging.WARNING, portal_id=portal_id, contact_id=contact_id,
                  error=type(error).__name__, detail=str(error))
        if mapped is None:
            raise
        raise mapped from error
    with extensions.db().session() as session:
        listing = contact_orders(session, portal_id, contact_id, paging, extensions.config().hubspot_auth_base)
    if report is not None:
        log_event(logger, "card.refresh.done", portal_id=portal_id, contact_id=contact_id,
                  orders=report.get("orders"), errors=report.get("errors"))
    return RefreshOutcome(finished=report is not None, report=report, listing=listing)
