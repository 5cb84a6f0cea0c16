"""N changed records -> the fewest HubSpot calls, in dependency order. Pure.

Order: contacts, companies and products first (deals and line items point at
them), then deals, then line items (they carry `hs_product_id`), then the v4
association batches (they need every id), then archives. Each object batch
holds up to HubSpot's limits (`hubspot/limits.py`: 100 inputs, 2,000 associations), and a key appears
at most once per batch (HubSpot rejects duplicates in one upsert).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from ..hubspot.limits import ASSOCIATION_BATCH, OBJECT_BATCH
from .schema import COMPANY_KEY, DEAL_KEY, LINE_KEY, PRODUCT_KEY

UPSERT_ORDER = ("contacts", "companies", "products", "deals", "line_items")
ID_PROPERTY = {"contacts": "email", "companies": COMPANY_KEY, "products": PRODUCT_KEY,
               "deals": DEAL_KEY, "line_items": LINE_KEY}

# (from type, to type, HubSpot-defined association type id)
DEAL_CONTACT = ("deals", "contacts", 3)
DEAL_COMPANY = ("deals", "companies", 341)
CONTACT_COMPANY = ("contacts", "companies", 279)
LINE_ITEM_DEAL = ("line_items", "deals", 20)
ASSOCIATION_ORDER = (CONTACT_COMPANY, DEAL_CONTACT, DEAL_COMPANY, LINE_ITEM_DEAL)


@dataclass
class Work:
    """What one sync batch must write. Association ends are (object type, source key) refs, resolved to ids later."""

    upserts: dict[str, dict[str, dict]] = field(default_factory=dict)
    associations: dict[tuple, set[tuple[str, str]]] = field(default_factory=dict)
    archives: dict[str, set[str]] = field(default_factory=dict)

    def upsert(self, object_type: str, key: str, props: dict) -> None:
        self.upserts.setdefault(object_type, {})[key] = props  # last write wins: one key once per batch

    def associate(self, kind: tuple, from_key: str, to_key: str) -> None:
        self.associations.setdefault(kind, set()).add((from_key, to_key))

    def archive(self, object_type: str, hubspot_id: str) -> None:
        self.archives.setdefault(object_type, set()).add(hubspot_id)


@dataclass(frozen=True)
class Step:
    op: str  # "upsert" | "associate" | "archive"
    object_type: str
    items: tuple
    association: tuple | None = None


def _chunks(items: list, size: int) -> Iterable[tuple]:
    for start in range(0, len(items), size):
        yield tuple(items[start:start + size])


def plan(work: Work) -> list[Step]:
    steps: list[Step] = []
    for object_type in UPSERT_ORDER:
        inputs = sorted(work.upserts.get(object_type, {}).items())
        steps += [Step("upsert", object_type, chunk) for chunk in _chunks(inputs, OBJECT_BATCH)]
    for kind in ASSOCIATION_ORDER:
        pairs = sorted(work.associations.get(kind, ()))
        steps += [Step("associate", kind[0], chunk, kind) for chunk in _chunks(pairs, ASSOCIATION_BATCH)]
    for object_type in UPSERT_ORDER:
        ids = sorted(work.archives.get(object_type, ()))
        steps += [Step("archive", object_type, chunk) for chunk in _chunks(ids, OBJECT_BATCH)]
    return steps


def waves(steps: list[Step]) -> list[list[Step]]:
    """Steps grouped so each group's calls are independent of each other and may run at once.

    Deals need nothing from contacts, companies or products (links are separate
    association calls); line items need products' ids; associations and
    archives need every id.
    """
    def wave(step: Step) -> int:
        if step.op != "upsert":
            return 2
        return 1 if step.object_type == "line_items" else 0

    grouped: list[list[Step]] = [[], [], []]
    for step in steps:
        grouped[wave(step)].append(step)
    return [g for g in grouped if g]


def minimal_calls(objects: Mapping[str, int], associations: Mapping[tuple, int] | None = None,
                  archives: Mapping[str, int] | None = None) -> int:
    """Lower bound on requests for that many distinct writes, whatever the batching."""
    return (sum(math.ceil(n / OBJECT_BATCH) for n in objects.values())
            + sum(math.ceil(n / ASSOCIATION_BATCH) for n in (associations or {}).values())
            + sum(math.ceil(n / OBJECT_BATCH) for n in (archives or {}).values()))


def work_size(work: Work) -> tuple[dict, dict, dict]:
    return ({t: len(v) for t, v in work.upserts.items()}, {k: len(v) for k, v in work.associations.items()},
            {t: len(v) for t, v in work.archives.items()})
