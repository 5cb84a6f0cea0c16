"""Deletions in Moulin -> HubSpot, in the sync's one pipeline: load, plan, calls with no transaction open, write.

Order deleted -> its deal and line items archived, its contact's aggregates
recomputed. Customer deleted -> contact kept (HubSpot convention). Product
deleted -> archived or marked discontinued (`products`). Every write is a
planned batch: N vanished orders cost about ceil(N/100) calls per object kind.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ..moulin.records import Deletion
from . import repository as repo
from .batch import Built
from .executor import execute
from .mapping import contact_stats, stats_properties, stats_sent_alone
from .planner import Work
from .products import ProductRemoval, load_product_deletions, plan_product_deletions, save_product_deletions


@dataclass
class DeletionsLoaded:
    products: list[ProductRemoval]
    deals: dict  # order key -> deal link (if any)
    lines: dict[str, list]  # order key -> its line item links with an id
    emails: set[str]  # the deleted orders' customers
    contacts: dict  # email -> live contact link among them
    facts: dict  # email -> the facts of its remaining orders


def apply_deletions(session: Session, crm, portal_id: int, deletions: list[Deletion]) -> dict:
    """Apply deletions; the session is committed before HubSpot is called and holds the results after."""
    keys = sorted({f"{d.store}:{d.id}" for d in deletions if d.kind == "order" and d.store})
    session.commit()
    loaded = _load(session, portal_id, keys, [d for d in deletions if d.kind == "product" and d.store])
    session.commit()  # nothing stays open across the HubSpot calls

    built, by_id = Built(Work()), {}
    for key in keys:
        for line in loaded.lines[key]:
            built.work.archive("line_items", line.hubspot_id)
        if (deal := loaded.deals.get(key)) is not None and deal.hubspot_id and deal.state == "synced":
            built.work.archive("deals", deal.hubspot_id)
    plan_product_deletions(built.work, by_id, loaded.products)
    writers = _plan_contact_stats(built.work, by_id, loaded)
    outcome = execute(crm, built, {}, by_id)

    for key in keys:
        repo.delete_links(session, portal_id, "line_item", [line.source_key for line in loaded.lines[key]])
        if (deal := loaded.deals.get(key)) is not None:
            repo.save_links(session, portal_id, "deal", {key: (deal.hubspot_id, None, "archived")})
        store, order_id = key.split(":", 1)
        repo.forget_order(session, portal_id, store, order_id)
    repo.record_errors(session, portal_id, "contact", {email: message for (t, email), message in outcome.errors.items()
                                                       if t == "contacts"})
    written = {loaded.contacts[email].hubspot_id for email in writers if ("contacts", email) in outcome.ids}
    repo.save_links(session, portal_id, "contact", {
        e: (link.hubspot_id, stats_sent_alone(link.content_hash), "synced") for e, link in loaded.contacts.items()
        if link.hubspot_id in written})
    products = save_product_deletions(session, portal_id, loaded.products, outcome)
    archived = sum(1 for t, _ in outcome.archived if t == "deals")
    return {"deals_archived": archived, "contacts_updated": len(loaded.emails), **products}


def _load(session: Session, portal_id: int, keys: list[str], products: list[Deletion]) -> DeletionsLoaded:
    emails = set(repo.order_emails(session, portal_id, keys).values())
    # Only contacts HubSpot still has, by id: a deleted contact must not come back for an order's deletion.
    contacts = {e: link for e, link in repo.load_links(session, portal_id, "contact", emails).items()
                if link.hubspot_id and link.state == "synced"}
    return DeletionsLoaded(
        load_product_deletions(session, portal_id, products), repo.load_links(session, portal_id, "deal", keys),
        {key: [line for line in repo.links_with_prefix(session, portal_id, "line_item", key + ":")
               if line.hubspot_id] for key in keys},
        emails, contacts, repo.order_facts_by_email(session, portal_id, contacts, skip=set(keys)))


def _plan_contact_stats(work: Work, by_id: dict, loaded: DeletionsLoaded) -> list[str]:
    """The recomputed aggregates alone (nothing else of the contact changed), one write per contact id
    (two emails merged into one contact: one write). Returns the emails written for."""
    writers: dict[str, str] = {}
    for email in sorted(loaded.contacts):
        writers.setdefault(loaded.contacts[email].hubspot_id, email)
    for hs_id, email in writers.items():
        work.upsert("contacts", email, stats_properties(contact_stats(loaded.facts[email])))
        by_id[("contacts", email)] = hs_id
    return list(writers.values())
