"""Deletions and restores applied as a run: every fact recorded, then each object's links and cards projected once.

Applied one at a time, each event would record its fact, re-derive the links of
its object and detach or reattach its card rows. Because a fact only replaces an
older one, the links after a run depend only on each object's last fact, so they
are derived once per run with one query per object type. The card rows follow
what one-by-one would have done: detached if any deletion of the object was
applied, then reattached if the last fact applied to it is a restore.
"""
from __future__ import annotations

from collections import Counter

from sqlalchemy.orm import Session

from . import facts, links
from .events import ParsedEvent

STALE = "stale: a newer fact is known"
_CARD_KINDS = ("contact", "deal", "order")


def apply_run(session: Session, run: list[tuple[ParsedEvent, str]]) -> list[str]:
    """Apply (event, lifecycle) pairs in order; returns one outcome per event, in the same order."""
    named: dict[tuple[int, str], set[str]] = {}
    for event, _ in run:
        named.setdefault((event.portal_id, event.object_type), set()).add(event.object_id)
    # The run's links, one query per object type, for `project` below.
    linked = {key: links.link_rows(session, *key, object_ids) for key, object_ids in named.items()}
    applied: dict[tuple[int, str], dict[str, list[int]]] = {}
    for index, (event, lifecycle) in enumerate(run):
        if facts.record_lifecycle(session, event.portal_id, event.object_type, event.object_id, lifecycle,
                                  event.occurred_at_ms):
            applied.setdefault((event.portal_id, event.object_type), {}).setdefault(event.object_id, []).append(index)
    outcomes = [STALE] * len(run)
    for (portal_id, kind), objects in applied.items():
        mine = [link for link in linked[(portal_id, kind)] if link.hubspot_id in objects]
        changed = Counter(links.project(session, portal_id, kind, set(objects), mine))
        if kind in _CARD_KINDS:
            # `project` detached the cards of objects left deleted; those restored after a deletion in this run
            # were detached too, one by one, before their restore reattached them.
            restored = {object_id for object_id, indexes in objects.items() if run[indexes[-1]][1] == facts.LIVE}
            links.detach_cards(session, portal_id, kind, {object_id for object_id in restored
                                                          if any(run[i][1] != facts.LIVE for i in objects[object_id])})
            links.reattach_cards(session, portal_id, kind, restored)
        for object_id, indexes in objects.items():
            for index in indexes[:-1]:
                outcomes[index] = f"{run[index][1]}: superseded by a later event of its batch"
            outcomes[indexes[-1]] = f"{run[indexes[-1]][1]}: {changed[object_id]} link(s) updated"
    return outcomes
