"""Database side of the sync: links, dead letters, read models, checkpoints. Takes a Session; never commits.

Writes are "insert ... on conflict do update" on the tables' unique keys, so two
workers syncing the same record at once converge on one row instead of failing
or doubling (the same guarantee HubSpot's unique properties give on its side).
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable, Iterable

from sqlalchemy import Row, delete, select, update
from sqlalchemy.orm import Session

from hubspot_app.db import bulk
from hubspot_app.db.base import now_of
from hubspot_app.db.checkouts import track_open_checkouts
from hubspot_app.db.one_of import one_of
from hubspot_app.db.prefix import starting_with
from hubspot_app.db.upsert import upsert
from hubspot_app.db.models import CardOrder, Installation, ObjectLink
from hubspot_app.db.models.sync import SyncCheckpoint, SyncedCustomer, SyncedOrder, SyncError
from hubspot_app.domain.webhook_rules import privacy_tombstone
from hubspot_app.domain.mapping import OrderFacts


# -- object links -------------------------------------------------------------------
def granted_scopes(session: Session, portal_id: int) -> frozenset[str]:
    """The scopes the portal granted at install (or its latest re-install); empty when not installed."""
    scopes = session.scalar(select(Installation.scopes).where(Installation.portal_id == portal_id)) or ""
    return frozenset(scopes.split())


# What the sync reads of a link, as plain rows: a backfill reads tens of thousands per run, and ORM objects (identity
# map, a tz-aware `synced_at` each) cost twice as much (12.0 against 6.4 ms per 1,500 links on SQLite). Read-only:
# a link changes through `save_links`.
_LINK = ObjectLink.__table__.c
LINK_COLUMNS = (_LINK.kind, _LINK.source_key, _LINK.hubspot_id, _LINK.content_hash, _LINK.state)
_FACTS = SyncedOrder.__table__.c
_FACT_COLUMNS = (_FACTS.order_key, _FACTS.contact_email, _FACTS.ordered_at, _FACTS.net_total, _FACTS.counts,
                 _FACTS.pickup_point, _FACTS.skus, _FACTS.categories, _FACTS.brands, _FACTS.currency)


def load_links(session: Session, portal_id: int, kind: str, keys: Iterable[str]) -> dict[str, Row]:
    """source key -> the link (kind, source_key, hubspot_id, content_hash, state) of each key that has one."""
    keys = list(set(keys))
    found: dict[str, Row] = {}
    for start in range(0, len(keys), 500):
        rows = session.execute(select(*LINK_COLUMNS).where(
            _LINK.portal_id == portal_id, _LINK.kind == kind,
            one_of(session, _LINK.source_key, keys[start:start + 500])))
        found.update({row.source_key: row for row in rows})
    return found


def links_with_prefix(session: Session, portal_id: int, kind: str, prefix: str) -> list[Row]:
    return list(session.execute(select(*LINK_COLUMNS).where(
        _LINK.portal_id == portal_id, _LINK.kind == kind, starting_with(session, _LINK.source_key, prefix))))


def child_links(session: Session, portal_id: int, kind: str, parents: dict[str, Row],
                prefix: Callable[[str], str]) -> tuple[dict[str, list[Row]], dict[str, dict[str, str]]]:
    """The `kind` links under each parent link (line items under an order or a cart), split as (parent key ->
    the live ones, of a live parent; parent key -> {child key: HubSpot id} left on a parent gone from HubSpot)."""
    live, orphaned = {}, {}
    for key, link in parents.items():  # a parent HubSpot never had has no children there: no query
        found = [child for child in links_with_prefix(session, portal_id, kind, prefix(key)) if child.hubspot_id]
        if link.state == "synced" and link.hubspot_id:
            live[key] = [child for child in found if child.state == "synced"]
        else:
            orphaned[key] = {child.source_key: child.hubspot_id for child in found}
    return live, orphaned


def save_links(session: Session, portal_id: int, kind: str,
               rows: dict[str, tuple[str | None, str | None, str]]) -> None:
    """rows: source key -> (HubSpot id, content hash, state)."""
    now = now_of(session)
    upsert(session, ObjectLink, [
        {"portal_id": portal_id, "kind": kind, "source_key": key, "hubspot_id": hs_id, "content_hash": digest,
         "state": state, "synced_at": now}
        for key, (hs_id, digest, state) in sorted(rows.items())], ("portal_id", "kind", "source_key"))


def privacy_deleted_emails(session: Session, portal_id: int, emails: Iterable[str]) -> set[str]:
    """The emails whose contact was privacy-deleted in HubSpot (one query per 500 emails)."""
    by_tombstone = {privacy_tombstone(email): email for email in emails}
    keys = sorted(by_tombstone)
    found = set()
    for start in range(0, len(keys), 500):
        found.update(by_tombstone[key] for key in session.scalars(select(ObjectLink.source_key).where(
            ObjectLink.portal_id == portal_id, ObjectLink.kind == "contact",
            one_of(session, ObjectLink.source_key, keys[start:start + 500]))))
    return found


def forget_hashes(session: Session, portal_id: int, kind: str, keys: Iterable[str]) -> None:
    """The next sync re-sends these records (e.g. a product someone deleted in HubSpot)."""
    keys = sorted(set(keys))
    if keys:
        session.execute(update(ObjectLink).where(
            ObjectLink.portal_id == portal_id, ObjectLink.kind == kind,
            one_of(session, ObjectLink.source_key, keys)).values(content_hash=None))


def complete_hashes(session: Session, portal_id: int, kind: str, digests: dict[str, str]) -> None:
    """Store these hashes on links written without one (a carried association landed). A link rewritten since
    keeps its own hash."""
    # One statement for all keys: as an UPDATE per key (an executemany), PostgreSQL took up to 6 ms a key, more as
    # the table grew in a first backfill (docs/sync.md, 2026-12-02).
    links = ObjectLink.__table__.c
    bulk.update_rows(session, ObjectLink.__table__, ("source_key",), ("content_hash",),
                     [{"source_key": k, "content_hash": d} for k, d in sorted(digests.items())],
                     where=(links.portal_id == portal_id, links.kind == kind, links.content_hash.is_(None)))


def delete_links(session: Session, portal_id: int, kind: str, keys: Iterable[str]) -> None:
    keys = list(keys)
    if keys:
        session.execute(delete(ObjectLink).where(ObjectLink.portal_id == portal_id, ObjectLink.kind == kind,
                                                 one_of(session, ObjectLink.source_key, keys)))


# -- dead letters ---------------------------------------------------------------------
def record_errors(session: Session, portal_id: int, kind: str, errors: dict[str, str]) -> None:
    now = now_of(session)
    for key, message in sorted(errors.items()):
        message = message[:4000]
        row = session.scalar(select(SyncError).where(SyncError.portal_id == portal_id, SyncError.kind == kind,
                                                     SyncError.source_key == key).with_for_update())
        if row is None:
            upsert(session, SyncError, [{"portal_id": portal_id, "kind": kind, "source_key": key, "message": message,
                                         "attempts": 1, "first_seen_at": now, "last_seen_at": now,
                                         "resolved_at": None}], ("portal_id", "kind", "source_key"))
        else:
            row.message, row.last_seen_at, row.resolved_at = message, now, None
            row.attempts += 1


def resolve_errors(session: Session, portal_id: int, kind: str, keys: Iterable[str]) -> None:
    keys = list(keys)
    # Most syncs have nothing to close: one look at the open errors spares a query per 500 keys written.
    if not keys or session.scalar(select(SyncError.id).where(
            SyncError.portal_id == portal_id, SyncError.resolved_at.is_(None), SyncError.kind == kind).limit(1)) is None:
        return
    for start in range(0, len(keys), 500):
        for row in session.scalars(select(SyncError).where(
                SyncError.portal_id == portal_id, SyncError.kind == kind, SyncError.resolved_at.is_(None),
                one_of(session, SyncError.source_key, keys[start:start + 500]))):
            row.resolved_at = now_of(session)


def open_errors(session: Session, portal_id: int) -> list[SyncError]:
    return list(session.scalars(select(SyncError).where(SyncError.portal_id == portal_id,
                                                        SyncError.resolved_at.is_(None)).order_by(SyncError.id)))


# -- read models ----------------------------------------------------------------------
def _card_values(session: Session, portal_id: int, order_keys: Iterable[tuple[str, str]], column) -> dict[str, str]:
    """(store, order id) pairs -> one non-null `card_orders` column of each ("store:id" keys).

    The nulls are left out here, not in SQL: with `column IS NOT NULL` beside the key list, SQLite read the
    contact id's index from end to end (every card row of the portal, at every chunk of a backfill and every push)
    instead of finding the listed orders by their key (tests/integration/test_key_lookups_use_their_index.py)."""
    wanted = set(order_keys)
    found = {}
    for store in {s for s, _ in wanted}:
        ids = [i for s, i in wanted if s == store]
        for start in range(0, len(ids), 500):
            for order_id, value in session.execute(select(CardOrder.order_id, column).where(
                    CardOrder.portal_id == portal_id, CardOrder.store_code == store,
                    one_of(session, CardOrder.order_id, ids[start:start + 500]))):
                if value is not None:
                    found[f"{store}:{order_id}"] = value
    return found


def card_contact_ids(session: Session, portal_id: int, order_keys: Iterable[tuple[str, str]]) -> dict[str, str]:
    """(store, order id) pairs -> the HubSpot contact id each deal was last linked to ("store:id" keys)."""
    return _card_values(session, portal_id, order_keys, CardOrder.hubspot_contact_id)


def reached_stages(session: Session, portal_id: int, order_keys: Iterable[tuple[str, str]]) -> dict[str, str]:
    """(store, order id) pairs -> the stage key each deal last had from us (a partial refund must not move it back)."""
    return _card_values(session, portal_id, order_keys, CardOrder.stage)


def save_card_orders(session: Session, rows: list[dict]) -> None:
    now = now_of(session)
    upsert(session, CardOrder, [{**row, "updated_at": now} for row in rows], ("portal_id", "store_code", "order_id"))


def save_order_facts(session: Session, portal_id: int, facts: dict[str, tuple[str | None, OrderFacts]]) -> None:
    # A privacy-deleted customer's orders still count, under the tombstone: the email itself is never kept again.
    gone = privacy_deleted_emails(session, portal_id, {email for email, _ in facts.values() if email})
    upsert(session, SyncedOrder, [
        {"portal_id": portal_id, "order_key": key,
         "contact_email": privacy_tombstone(email) if email in gone else email, "ordered_at": f.ordered_at,
         "net_total": f.net_total, "counts": f.counts, "pickup_point": f.pickup_point, "skus": list(f.skus),
         "categories": list(f.categories), "brands": list(f.brands), "currency": f.currency}
        for key, (email, f) in sorted(facts.items())], ("portal_id", "order_key"))


def save_customers(session: Session, portal_id: int, store: str, rows: dict[str, tuple[str, str | None, dict]]) -> None:
    """rows: customer id -> (contact key, email, record as last read)."""
    now = now_of(session)
    upsert(session, SyncedCustomer, [
        {"portal_id": portal_id, "store_code": store, "customer_id": customer_id, "contact_key": key, "email": email,
         "record": record, "updated_at": now}
        for customer_id, (key, email, record) in sorted(rows.items())], ("portal_id", "store_code", "customer_id"))


def stored_order_facts(session: Session, portal_id: int,
                       order_keys: Iterable[str]) -> dict[str, tuple[str | None, OrderFacts]]:
    """order key -> (the contact key its facts count under now, the facts), as `save_order_facts` stored them."""
    keys, found = sorted(set(order_keys)), {}
    for start in range(0, len(keys), 500):
        for row in session.execute(select(*_FACT_COLUMNS).where(
                _FACTS.portal_id == portal_id, one_of(session, _FACTS.order_key, keys[start:start + 500]))):
            found[row.order_key] = (row.contact_email, _facts_of(row))
    return found


def _facts_of(row) -> OrderFacts:
    return OrderFacts(ordered_at=row.ordered_at, net_total=row.net_total, counts=row.counts,
                      pickup_point=row.pickup_point, skus=tuple(row.skus), categories=tuple(row.categories),
                      brands=tuple(row.brands), currency=row.currency)


def forget_order(session: Session, portal_id: int, store: str, order_id: str) -> str | None:
    """Drop an order from both read models; returns its contact email (its aggregates must be recomputed)."""
    key = f"{store}:{order_id}"
    email = session.scalar(select(SyncedOrder.contact_email).where(SyncedOrder.portal_id == portal_id,
                                                                   SyncedOrder.order_key == key))
    session.execute(delete(SyncedOrder).where(SyncedOrder.portal_id == portal_id, SyncedOrder.order_key == key))
    session.execute(delete(CardOrder).where(CardOrder.portal_id == portal_id, CardOrder.store_code == store,
                                            CardOrder.order_id == order_id))
    track_open_checkouts(session, portal_id, store, {}, [order_id])
    return email


def order_facts_by_email(session: Session, portal_id: int, emails: Iterable[str],
                         skip: set[str] = frozenset()) -> dict[str, list[OrderFacts]]:
    """skip: order keys left out (the caller has newer facts for them, or is deleting them)."""
    emails = list(set(emails))
    out: dict[str, list[OrderFacts]] = {e: [] for e in emails}
    for start in range(0, len(emails), 500):
        # Plain rows of the table, not of the ORM: a backfill reads every order's facts once per chunk of its contacts.
        for row in session.execute(select(*_FACT_COLUMNS).where(
                _FACTS.portal_id == portal_id, one_of(session, _FACTS.contact_email, emails[start:start + 500]))):
            if row.order_key not in skip:
                out[row.contact_email].append(_facts_of(row))
    return out


def facts_by_contact(session: Session, portal_id: int, keys: Iterable[str], skip: set[str] = frozenset(),
                     fresh: dict[str, tuple[str | None, OrderFacts]] | None = None) -> dict[str, list[OrderFacts]]:
    """contact key -> the facts of every order of its HubSpot contact: after a merge in HubSpot, two keys
    (emails) name one contact, and both get the one true total of the orders of both.

    skip: order keys not counted (deleted, or counted elsewhere now); fresh: order key -> (contact key, facts)
    not stored yet, counted instead of what the table says about those orders."""
    keys = set(keys)
    fresh = fresh or {}
    skip = set(skip) | set(fresh)
    links = load_links(session, portal_id, "contact", keys)
    ids = {link.hubspot_id for link in links.values() if link.hubspot_id and link.state == "synced"}
    same: dict[str, set[str]] = {}
    if ids:
        for key, hs_id in session.execute(select(ObjectLink.source_key, ObjectLink.hubspot_id).where(
                ObjectLink.portal_id == portal_id, ObjectLink.kind == "contact", ObjectLink.state == "synced",
                one_of(session, ObjectLink.hubspot_id, sorted(ids)))):
            same.setdefault(hs_id, set()).add(key)
    group = {key: same.get(link.hubspot_id, {key}) | {key} if (link := links.get(key)) else {key} for key in keys}
    facts = order_facts_by_email(session, portal_id, set().union(*group.values()) if group else (), skip)
    for _, (key, fact) in sorted(fresh.items()):
        if key in facts:
            facts[key].append(fact)
    return {key: [f for member in sorted(members) for f in facts[member]] for key, members in group.items()}


# -- checkpoints ----------------------------------------------------------------------
def checkpoint(session: Session, portal_id: int, store_code: str, mode: str) -> SyncCheckpoint:
    row = session.scalar(select(SyncCheckpoint).where(SyncCheckpoint.portal_id == portal_id,
                                                      SyncCheckpoint.store_code == store_code,
                                                      SyncCheckpoint.mode == mode))
    if row is None:
        upsert(session, SyncCheckpoint, [{"portal_id": portal_id, "store_code": store_code, "mode": mode,
                                          "position": 0, "done": False, "updated_at": now_of(session)}],
               ("portal_id", "store_code", "mode"))
        return checkpoint(session, portal_id, store_code, mode)
    return row


def advance(row: SyncCheckpoint, position: int, high_water: datetime | None, done: bool = False) -> None:
    row.position = position
    if high_water and (row.high_water is None or high_water > row.high_water):
        row.high_water = high_water
    row.done = done
