"""Which contact a Moulin customer is: the customer id is the identity once linked, the email only finds it first.

`resolve_contacts` runs at the start of every `sync_orders`, on the batch's customers:
- a customer seen for the first time belongs to the contact of its normalised email (`contact_key`, the
  `object_links` contact key);
- an email changed in Moulin moves the linked contact's email (by id) and re-keys what we hold under the old
  one, unless another live contact already has the new email: then a `sync_conflicts` row (reason
  `moulin_email_taken`) asks the operator, and the customer stays on its contact meanwhile;
- a customer Moulin no longer has (deleted) is its last known record, so its orders keep their contact;
- customers whose emails normalise to one address are one contact with fields merged by `merge_customers`.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ..db.base import now_of
from ..db.models import CardOrder, ObjectLink, SyncConflict, SyncedCustomer, SyncedOrder
from ..db.one_of import one_of
from ..logs import log_event
from hubspot_app.domain.records import Customer, RecordError, record_json, validate_record
from hubspot_app.db import repository as repo
from hubspot_app.domain.batch import SourceBatch
from .executor import bisected

logger = logging.getLogger(__name__)

EMAIL_TAKEN = "moulin_email_taken"
_MERGED_FIELDS = ("first_name", "last_name", "phone", "addresses", "company_id", "kind")


def merge_customers(customers: list[Customer]) -> Customer:
    """One contact for customers sharing an address: the most recently updated customer (then the smallest id)
    gives each field; an empty field takes the next one's. Pure and order-free, so every sync writes the same."""
    ranked = sorted(customers, key=lambda c: (-c.updated_at.timestamp(), c.id))
    first = ranked[0]
    filled = {name: next((value for c in ranked if (value := getattr(c, name))), getattr(first, name))
              for name in _MERGED_FIELDS}
    return replace(first, **filled, accepts_marketing=any(c.accepts_marketing for c in ranked))


@dataclass(frozen=True)
class EmailMove:
    """A linked contact whose email must follow its customer's new one in Moulin (planned, sent in batches)."""

    customer_row_id: int
    store_code: str
    customer_id: str
    contact_id: str
    old: str
    new: str
    stale_link_id: int | None  # a link of the new email to a contact that is gone or is this one


def resolve_contacts(session: Session, crm, portal_id: int, batch: SourceBatch) -> list[RecordError]:
    """Fill `batch.contact_keys` and `batch.contacts`; the customers Moulin lost come back as last seen.

    The sync's own shape: read, plan the email moves, send them with no transaction open (one batch update
    for all of them, not a call per customer), then one short write (re-keys, conflicts, customers).
    Returns the orders' customers that are neither in Moulin nor known here (their orders sync without a contact).
    """
    wanted = {o.customer_id for o in batch.orders if o.customer_id}
    rows = _customers(session, portal_id, batch.store, wanted)
    errors = _fill_lost(batch, rows, wanted)
    present = [batch.customers[i] for i in sorted(wanted & set(batch.customers))]
    # Nothing personal is kept about a contact deleted for privacy (the webhook deleted its rows too).
    erased = repo.privacy_deleted_emails(session, portal_id, {c.email for c in present if c.email})
    seen, moves = [], {}
    for customer in present:
        row = rows.get(customer.id)
        if row is None and customer.email and customer.email not in erased:
            seen.append((customer, customer.email, customer.email))
        elif row is not None:
            key = row.contact_key
            if customer.email and customer.email != row.email and customer.email not in erased:
                key = _plan_email_change(session, portal_id, row, customer.email)
            if isinstance(key, EmailMove):
                moves[customer.id], key = key, key.old  # the old key until HubSpot took the new email
            seen.append((customer, key, customer.email or row.email))
    if moves:
        session.commit()  # no transaction open while HubSpot answers
        moved = _send_moves(session, crm, portal_id, list(moves.values()))
        seen = [(c, moves[c.id].new if c.id in moves and moves[c.id].customer_row_id in moved else key, email)
                for c, key, email in seen]
    stored = {c.id: (key, email, record_json(c)) for c, key, email in seen}
    # A repeat customer is seen again in later chunks, mostly as it was stored: only changes are written.
    repo.save_customers(session, portal_id, batch.store, {
        customer_id: found for customer_id, found in stored.items()
        if (row := rows.get(customer_id)) is None or (row.contact_key, row.email, row.record) != found})
    _merge_by_contact(session, portal_id, batch, {c.id for c, _, _ in seen})
    return errors


def _fill_lost(batch: SourceBatch, rows: dict, wanted: set[str]) -> list[RecordError]:
    """Customers Moulin no longer has come back as last synced; the ones never seen are errors."""
    errors = []
    for customer_id in sorted(wanted - set(batch.customers)):
        if customer_id in rows:
            batch.customers[customer_id] = validate_record(Customer, rows[customer_id].record)
        else:
            errors.append(RecordError(kind="customer", record_id=customer_id, errors=[
                "not found in Moulin and never synced before: its orders sync without a contact"]))
    return errors


def _customers(session: Session, portal_id: int, store: str, ids) -> dict[str, SyncedCustomer]:
    ids, found = sorted(ids), {}
    for start in range(0, len(ids), 500):
        found.update((row.customer_id, row) for row in session.scalars(select(SyncedCustomer).where(
            SyncedCustomer.portal_id == portal_id, SyncedCustomer.store_code == store,
            one_of(session, SyncedCustomer.customer_id, ids[start:start + 500]))))
    return found


def _merge_by_contact(session: Session, portal_id: int, batch: SourceBatch, saved: set[str]) -> None:
    """saved: the batch's customers whose records this sync just stored (as they are in the batch)."""
    # Plain columns, not ORM rows: rows loaded before the upsert would come back from the identity map unchanged.
    ids = sorted(batch.customers)
    for start in range(0, len(ids), 500):
        batch.contact_keys.update(session.execute(select(SyncedCustomer.customer_id, SyncedCustomer.contact_key).where(
            SyncedCustomer.portal_id == portal_id, SyncedCustomer.store_code == batch.store,
            one_of(session, SyncedCustomer.customer_id, ids[start:start + 500]))).all())
    keys, members = sorted(set(batch.contact_keys.values())), defaultdict(list)
    for start in range(0, len(keys), 500):
        for key, store, customer_id in session.execute(select(
                SyncedCustomer.contact_key, SyncedCustomer.store_code, SyncedCustomer.customer_id).where(
                SyncedCustomer.portal_id == portal_id,
                one_of(session, SyncedCustomer.contact_key, keys[start:start + 500]))):
            members[key].append((store, customer_id))
    # Most contacts are one customer, just stored from the batch: that record is the batch's own (reading it
    # back and validating it again was most of a backfill's identity work). Only shared keys are read.
    alone = {key: batch.customers[found[0][1]] for key, found in members.items()
             if len(found) == 1 and found[0][0] == batch.store and found[0][1] in saved}
    shared, sharing = sorted(set(members) - set(alone)), defaultdict(list)
    for start in range(0, len(shared), 500):
        for key, record in session.execute(select(SyncedCustomer.contact_key, SyncedCustomer.record).where(
                SyncedCustomer.portal_id == portal_id,
                one_of(session, SyncedCustomer.contact_key, shared[start:start + 500]))):
            sharing[key].append(validate_record(Customer, record))
    batch.contacts = {key: replace(merge_customers(found), email=key) for key, found in sharing.items()}
    # A contact of one customer is that customer (`merge_customers` of one changes nothing).
    batch.contacts.update({key: customer if customer.email == key else replace(customer, email=key)
                           for key, customer in alone.items()})


def _plan_email_change(session: Session, portal_id: int, row: SyncedCustomer, new_email: str) -> str | EmailMove:
    """The contact key the customer has after its email changed in Moulin from `row.email` to `new_email`,
    or the move HubSpot must make first (the linked contact takes the new email)."""
    old = row.contact_key
    shared = session.scalar(select(SyncedCustomer.id).where(
        SyncedCustomer.portal_id == portal_id, SyncedCustomer.contact_key == old, SyncedCustomer.id != row.id))
    if shared is not None or old == new_email:
        return new_email  # the others keep the shared contact; this customer goes to the one of its new email
    links = {link.source_key: link for link in session.scalars(select(ObjectLink).where(
        ObjectLink.portal_id == portal_id, ObjectLink.kind == "contact", ObjectLink.source_key.in_([old, new_email])))}
    mine, theirs = links.get(old), links.get(new_email)
    if mine is None or not mine.hubspot_id or mine.state != "synced":
        return new_email  # no contact of ours to carry the new email: the usual first-sync rule applies
    if theirs is not None and theirs.hubspot_id not in (None, mine.hubspot_id) and theirs.state == "synced":
        _record_conflict(session, portal_id, mine.hubspot_id, row.store_code, row.customer_id, new_email,
                         f"HubSpot contact {theirs.hubspot_id} already has this email")
        return old
    return EmailMove(row.id, row.store_code, row.customer_id, mine.hubspot_id, old, new_email,
                     theirs.id if theirs is not None else None)


def _send_moves(session: Session, crm, portal_id: int, moves: list[EmailMove]) -> set[int]:
    """Send the moves, 100 a call; returns those HubSpot took (customer row ids), whose keys are re-keyed here.
    A refusal (e.g. a contact we never synced has the email) is a conflict for the operator."""
    answers: dict[int, str | None] = {}  # customer row id -> None (taken) or HubSpot's refusal
    for round_ in _rounds(moves):
        outcome = bisected(lambda part: crm.update("contacts", part), "contacts",
                           [(m.contact_id, {"email": m.new}) for m in round_])
        for move in round_:
            taken = ("contacts", move.contact_id) in outcome.ids
            answers[move.customer_row_id] = None if taken else outcome.errors.get(
                ("contacts", move.contact_id), "HubSpot did not confirm the change")
    for move in moves:
        if (refusal := answers[move.customer_row_id]) is not None:
            _record_conflict(session, portal_id, move.contact_id, move.store_code, move.customer_id, move.new,
                             f"HubSpot refused it: {refusal}")
        else:
            _rekey(session, portal_id, move.old, move.new, move.stale_link_id)
            log_event(logger, "sync.contact.email_moved", portal_id=portal_id, contact_id=move.contact_id)
    return {row_id for row_id, refusal in answers.items() if refusal is None}


def _rounds(moves: list[EmailMove]) -> list[list[EmailMove]]:
    """One contact id once per call (HubSpot refuses an id twice in a batch): a second move of it waits a round."""
    rounds: list[list[EmailMove]] = []
    for move in moves:
        free = next((r for r in rounds if all(m.contact_id != move.contact_id for m in r)), None)
        if free is None:
            rounds.append(free := [])
        free.append(move)
    return rounds


def _rekey(session: Session, portal_id: int, old: str, new: str, stale_link_id: int | None) -> None:
    """What we hold under the old email now lives under the new one (the contact's id does not change)."""
    if stale_link_id is not None:  # a link to a contact that is gone or was the same one: the moved link replaces it
        session.execute(delete(ObjectLink).where(ObjectLink.id == stale_link_id))
    session.execute(update(ObjectLink).where(ObjectLink.portal_id == portal_id, ObjectLink.kind == "contact",
                                             ObjectLink.source_key == old).values(source_key=new))
    for model, column in ((SyncedOrder, SyncedOrder.contact_email), (CardOrder, CardOrder.contact_email),
                          (SyncedCustomer, SyncedCustomer.contact_key)):
        session.execute(update(model).where(model.portal_id == portal_id, column == old).values({column: new})
                        .execution_options(synchronize_session=False))


def _record_conflict(session: Session, portal_id: int, contact_id: str, store_code: str, customer_id: str,
                     new_email: str, why: str) -> None:
    reason_open = session.scalar(select(SyncConflict.id).where(
        SyncConflict.portal_id == portal_id, SyncConflict.kind == "contact", SyncConflict.hubspot_id == contact_id,
        SyncConflict.reason == EMAIL_TAKEN, SyncConflict.resolved_at.is_(None)))
    if reason_open is None:
        session.add(SyncConflict(
            portal_id=portal_id, kind="contact", hubspot_id=contact_id, reason=EMAIL_TAKEN,
            occurred_at_ms=int(now_of(session).timestamp() * 1000),
            detail=f"Moulin customer {store_code}:{customer_id} changed its email to {new_email}, but {why}. "
                   f"It stays on contact {contact_id} until you choose “Link to the contact with the new email”."))
    log_event(logger, "sync.contact.email_conflict", logging.WARNING, portal_id=portal_id, contact_id=contact_id)


def link_to_new_email(session: Session, portal_id: int, conflict_id: int, now: datetime) -> list[str]:
    """The operator's resolution: the customers waiting on this contact join the contact of their new email.

    Returns the emails to sync again now: their orders move, and the contact they leave gets its totals again.
    """
    conflict = session.scalar(select(SyncConflict).where(
        SyncConflict.id == conflict_id, SyncConflict.portal_id == portal_id, SyncConflict.reason == EMAIL_TAKEN,
        SyncConflict.resolved_at.is_(None)))
    if conflict is None:
        return []
    keys = list(session.scalars(select(ObjectLink.source_key).where(
        ObjectLink.portal_id == portal_id, ObjectLink.kind == "contact", ObjectLink.hubspot_id == conflict.hubspot_id)))
    waiting = list(session.scalars(select(SyncedCustomer).where(
        SyncedCustomer.portal_id == portal_id, one_of(session, SyncedCustomer.contact_key, keys),
        SyncedCustomer.email != SyncedCustomer.contact_key)))
    for row in waiting:
        row.contact_key = row.email
    conflict.resolved_at = now
    return sorted({row.email for row in waiting})
