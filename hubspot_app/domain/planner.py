"""N changed records -> the fewest HubSpot calls, in dependency order. Pure.

Every HubSpot write of a sync is planned here, removals included: upserts by
unique property, updates by id, association creates and removals, archives.
Order: contacts, companies and products first (deals and line items point at
them), then deals, then line items (they carry `hs_product_id`), then the v4
association batches and association removals (they need every id), then archives.
Each object batch holds up to HubSpot's limits (`domain/limits.py`: 100 inputs,
2,000 associations), and a key appears at most once per batch (HubSpot rejects duplicates in one upsert).

Records HubSpot already has that must be written by id (`by_id`: a contact
after a merge, see `executor`) are planned as their own full update batches,
never mixed into an upsert batch: mixing made every batch cost two calls.
Two keys naming one id (two emails merged into one contact) never share a
batch: the second goes to a later round, so the writes keep their order.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Mapping, NamedTuple

from hubspot_app.domain.limits import ASSOCIATION_BATCH, OBJECT_BATCH
from hubspot_app.domain.cart_schema import CART_ASSOCIATIONS, CART_KEY, CART_LINES, CART_TYPE, CART_TYPE_ID
from hubspot_app.domain.schema import COMPANY_KEY, DEAL_KEY, LINE_KEY, ORDER_KEY, PRODUCT_KEY

# HubSpot states no input limit for association batch archive (v4 `BatchApi.archive` in the official clients,
# https://rubydoc.info/github/HubSpot/hubspot-api-ruby/Hubspot/Crm/Associations/V4/BatchApi; v3:
# https://developers.hubspot.com/docs/api-reference/legacy/crm/associations/v3/batch/delete-associations):
# we keep to the object batch size.
UNASSOCIATE_BATCH = OBJECT_BATCH

UPSERT_ORDER = ("contacts", "companies", "products", "deals", "orders", CART_TYPE, "line_items", "order_lines",
                CART_LINES)
ID_PROPERTY = {"contacts": "email", "companies": COMPANY_KEY, "products": PRODUCT_KEY,
               "deals": DEAL_KEY, "orders": ORDER_KEY, "line_items": LINE_KEY, "order_lines": LINE_KEY,
               CART_TYPE: CART_KEY, CART_LINES: LINE_KEY}
# A HubSpot order's own line items are HubSpot line items, planned apart from the deal's: a line item has one
# parent, so a Moulin order sent to both targets has two sets, each with its own links and hashes.
# Orders by their type id: HubSpot's docs name the object `order` (singular) or `0-123`, never `orders`
# (/work/wt/commerce-facts.md, "Object name forms").
ORDER_TYPE_ID = "0-123"
HUBSPOT_TYPE = {"orders": ORDER_TYPE_ID, "order_lines": "line_items", CART_TYPE: CART_TYPE_ID, CART_LINES: "line_items"}
LINE_TYPES = ("line_items", "order_lines", CART_LINES)  # they carry `hs_product_id`: after products

# (from type, to type, HubSpot-defined association type id)
DEAL_CONTACT = ("deals", "contacts", 3)
DEAL_COMPANY = ("deals", "companies", 341)
CONTACT_COMPANY = ("contacts", "companies", 279)
LINE_ITEM_DEAL = ("line_items", "deals", 20)
# HubSpot orders: order -> contact 507, -> company 934 (unlabeled, like the deal's 341), -> deal 512; line item ->
# order 514 (the inverse of order -> line item 513). HUBSPOT-FACTS.md and /work/wt/commerce-facts.md give sources.
ORDER_CONTACT = ("orders", "contacts", 507)
ORDER_COMPANY = ("orders", "companies", 934)
ORDER_DEAL = ("orders", "deals", 512)
LINE_ITEM_ORDER = ("order_lines", "orders", 514)
ASSOCIATION_ORDER = (CONTACT_COMPANY, DEAL_CONTACT, DEAL_COMPANY, LINE_ITEM_DEAL, ORDER_CONTACT, ORDER_COMPANY,
                     ORDER_DEAL, LINE_ITEM_ORDER, *CART_ASSOCIATIONS)


class Carried(NamedTuple):
    """An association with both ends as HubSpot ids, and the record (`owner`) whose hash (`digest`) waits for it:
    what the executor sends, and what a chunk leaves for the next one to send (`plan(carry=True)`)."""

    from_id: str
    to_id: str
    owner: tuple[str, str]
    digest: str | None


@dataclass
class Work:
    """What one sync must write to HubSpot.

    Association ends are source keys, resolved to ids (the known ones, or those
    the upserts return) when the call is made; `linked_ids` are pairs already
    named by HubSpot ids (the webhooks' pending associations).
    """

    upserts: dict[str, dict[str, dict]] = field(default_factory=dict)
    associations: dict[tuple, set[tuple[str, str]]] = field(default_factory=dict)
    archives: dict[str, set[str]] = field(default_factory=dict)
    linked_ids: dict[tuple, set[tuple[str, str]]] = field(default_factory=dict)
    # (from type, to type) -> (from key, HubSpot id of the end to drop, key of the end that replaces it or None)
    unlinks: dict[tuple[str, str], set[tuple[str, str, str | None]]] = field(default_factory=dict)
    carried: dict[tuple, list[Carried]] = field(default_factory=dict)  # from the chunk before, sent first

    def upsert(self, object_type: str, key: str, props: dict) -> None:
        self.upserts.setdefault(object_type, {})[key] = props  # last write wins: one key once per batch

    def associate(self, kind: tuple, from_key: str, to_key: str) -> None:
        self.associations.setdefault(kind, set()).add((from_key, to_key))

    def associate_ids(self, kind: tuple, from_id: str, to_id: str) -> None:
        self.linked_ids.setdefault(kind, set()).add((from_id, to_id))

    def unassociate(self, from_type: str, to_type: str, from_key: str, old_to_id: str,
                    unless_now: str | None = None) -> None:
        """Drop from_key's link to `old_to_id`, unless the record keyed `unless_now` turns out to be that same id."""
        self.unlinks.setdefault((from_type, to_type), set()).add((from_key, old_to_id, unless_now))

    def archive(self, object_type: str, hubspot_id: str) -> None:
        self.archives.setdefault(object_type, set()).add(hubspot_id)


@dataclass(frozen=True)
class Step:
    op: str  # "upsert" | "update" | "associate" | "carry" | "associate_ids" | "unassociate" | "archive"
    object_type: str
    items: tuple
    association: tuple | None = None
    round: int = 0  # updates of one id split over batches: later rounds run after earlier ones


def _chunks(items: list, size: int) -> Iterable[tuple]:
    for start in range(0, len(items), size):
        yield tuple(items[start:start + size])


def _update_rounds(inputs: list[tuple[str, dict]], id_of: Mapping[str, str]) -> Iterable[tuple[int, tuple]]:
    """Full batches of updates by id; a key whose id is already in this round waits for the next round."""
    pending, round_ = inputs, 0
    while pending:
        seen, now, later = set(), [], []
        for key, props in pending:
            (later if id_of[key] in seen else now).append((key, props))
            seen.add(id_of[key])
        yield from ((round_, chunk) for chunk in _chunks(now, OBJECT_BATCH))
        pending, round_ = later, round_ + 1


def plan(work: Work, by_id: Mapping[tuple[str, str], str] | None = None, carry: bool = False) -> list[Step]:
    """by_id: (object type, key) -> HubSpot id of the inputs to write by id (an update) instead of an upsert.

    carry: a chunk of a longer run. Each association kind's last, partly filled batch is not sent but carried
    (a "carry" step): the next chunk sends it first, in its own full batches (`Work.carried`). A run of 2,000-order
    chunks otherwise pays a partial batch per kind at every chunk edge.
    """
    by_id = by_id or {}
    steps: list[Step] = []
    for object_type in UPSERT_ORDER:
        inputs = sorted(work.upserts.get(object_type, {}).items())
        ids = {key: by_id[(object_type, key)] for key, _ in inputs if (object_type, key) in by_id}
        new = [(key, props) for key, props in inputs if key not in ids]
        steps += [Step("upsert", object_type, chunk) for chunk in _chunks(new, OBJECT_BATCH)]
        known = [(key, props) for key, props in inputs if key in ids]
        steps += [Step("update", object_type, chunk, round=r) for r, chunk in _update_rounds(known, ids)]
    for kind in ASSOCIATION_ORDER:
        chunks = list(_chunks([*work.carried.get(kind, ()), *sorted(work.associations.get(kind, ()))],
                              ASSOCIATION_BATCH))
        tail = chunks.pop() if carry and chunks and len(chunks[-1]) < ASSOCIATION_BATCH else None
        steps += [Step("associate", kind[0], chunk, kind) for chunk in chunks]
        steps += [Step("carry", kind[0], tail, kind)] if tail else []
        pairs = sorted(work.linked_ids.get(kind, ()))
        steps += [Step("associate_ids", kind[0], chunk, kind) for chunk in _chunks(pairs, ASSOCIATION_BATCH)]
    for (from_type, to_type), unlinks in sorted(work.unlinks.items()):
        items = sorted(unlinks, key=lambda item: (item[0], item[1], item[2] or ""))
        steps += [Step("unassociate", from_type, chunk, (from_type, to_type))
                  for chunk in _chunks(items, UNASSOCIATE_BATCH)]
    for object_type in UPSERT_ORDER:
        ids = sorted(work.archives.get(object_type, ()))
        steps += [Step("archive", object_type, chunk) for chunk in _chunks(ids, OBJECT_BATCH)]
    return steps


def waves(steps: list[Step]) -> list[list[Step]]:
    """Steps grouped so each group's calls are independent of each other and may run at once.

    Deals need nothing from contacts, companies or products (links are separate
    association calls); line items need products' ids; associations and their
    removals need every id. Archives name known ids only and go first: a
    re-created deal's line items must not find the old ones by their unique key.
    A later round of updates waits for the earlier. When a plan writes no product
    and archives nothing (an edited order, most real-time batches), its line items
    wait for nothing and go with the deals: one round trip less.
    """
    line_items_wait = any(s.op == "archive" or (s.object_type == "products" and s.op in ("upsert", "update"))
                          for s in steps)

    def wave(step: Step) -> tuple[int, int]:
        if step.op == "archive":
            return 0, 0
        if step.op not in ("upsert", "update"):
            return 2, 0
        return (1 if step.object_type in LINE_TYPES and line_items_wait else 0), step.round

    grouped: dict[tuple[int, int], list[Step]] = {}
    for step in steps:
        grouped.setdefault(wave(step), []).append(step)
    return [grouped[key] for key in sorted(grouped)]


def minimal_calls(objects: Mapping[str, int], associations: Mapping[tuple, int] | None = None,
                  archives: Mapping[str, int] | None = None) -> int:
    """Lower bound on requests for that many distinct writes, whatever the batching."""
    return (sum(math.ceil(n / OBJECT_BATCH) for n in objects.values())
            + sum(math.ceil(n / ASSOCIATION_BATCH) for n in (associations or {}).values())
            + sum(math.ceil(n / OBJECT_BATCH) for n in (archives or {}).values()))


def work_size(work: Work) -> tuple[dict, dict, dict]:
    associations = {k: len(v) for k, v in work.associations.items()}
    for kind, pairs in work.linked_ids.items():
        associations[kind] = associations.get(kind, 0) + len(pairs)
    return ({t: len(v) for t, v in work.upserts.items()}, associations,
            {t: len(v) for t, v in work.archives.items()})
