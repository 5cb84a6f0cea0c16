"""A contact's aggregates alone, when orders left it (deleted in Moulin, or now counted under another contact).

Nothing else of the contact changed, so only the recomputed aggregates are
sent, by id, one write per HubSpot contact (two keys merged into one contact:
one write). Only contacts HubSpot still has: a deleted contact must not come
back because an order left it. Load, plan and save are apart, so the caller
makes the calls with no transaction open.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from hubspot_app.db import repository as repo
from hubspot_app.domain.mapping import contact_stats, stats_properties, stats_written
from hubspot_app.domain.planner import Work


@dataclass
class LeftContacts:
    links: dict = field(default_factory=dict)  # contact key -> live link
    facts: dict = field(default_factory=dict)  # contact key -> the facts of the orders it still has


def load_left(session: Session, portal_id: int, keys: set[str], gone_orders: set[str]) -> LeftContacts:
    """keys: the contacts orders left; gone_orders: those orders' keys (no longer counted under them)."""
    links = {key: link for key, link in repo.load_links(session, portal_id, "contact", keys).items()
             if link.hubspot_id and link.state == "synced"}
    if not links:
        return LeftContacts()
    return LeftContacts(links, repo.facts_by_contact(session, portal_id, links, skip=gone_orders))


def plan_aggregates(work: Work, by_id: dict, left: LeftContacts) -> list[str]:
    """Returns the keys written for (one per HubSpot contact)."""
    writers: dict[str, str] = {}
    for key in sorted(left.links):
        writers.setdefault(left.links[key].hubspot_id, key)
    for hs_id, key in writers.items():
        work.upsert("contacts", key, stats_properties(contact_stats(left.facts[key])))
        by_id[("contacts", key)] = hs_id
    return list(writers.values())


def save_aggregates(session: Session, portal_id: int, left: LeftContacts, writers: list[str], outcome) -> None:
    repo.record_errors(session, portal_id, "contact", {key: message for (t, key), message in outcome.errors.items()
                                                       if t == "contacts" and key in writers})
    written = {left.links[key].hubspot_id for key in writers if ("contacts", key) in outcome.ids}
    repo.save_links(session, portal_id, "contact", {
        key: (link.hubspot_id, stats_written(link.content_hash, stats_properties(contact_stats(left.facts[key]))),
              "synced") for key, link in left.links.items() if link.hubspot_id in written})
