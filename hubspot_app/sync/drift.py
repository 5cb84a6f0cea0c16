"""What the nightly reconcile reads back and compares (`reconcile.py`): a store's deals and HubSpot orders, each
against what Moulin says now, planned by the same pure code as the sync (`batch.build`, `order_batch.add_orders`).

A record whose stage, amount or pipeline differ is drifted: the reconcile forgets its hash (and its line items'),
and the same pass re-sends it, in place. A missing one (deleted in HubSpot, no webhook reached us) has vanished:
the reconcile marks its link so, and the same pass re-creates it with fresh line items, the old ones (still on the
deleted record: a line item has one parent) archived first. With `stage_source == "hubspot"` the stage is the
users', so a different stage is not drift.
"""
from __future__ import annotations

from typing import NamedTuple

from hubspot_app import bootstrap
from hubspot_app.domain.batch import PortalShape, build
from hubspot_app.domain.order_batch import OrderLinks, add_orders
from hubspot_app.domain.planner import HUBSPOT_TYPE
from hubspot_app.domain.schema import DEAL_KEY, ORDER_KEY

DEAL_COMPARED = ("dealstage", "amount", "pipeline")
ORDER_COMPARED = ("hs_pipeline_stage", "hs_total_price", "hs_pipeline")
STAGE_PROPERTIES = ("dealstage", "hs_pipeline_stage")


class Drift(NamedTuple):
    """Order keys whose record HubSpot has but differs from Moulin, and those HubSpot no longer has."""

    changed: set[str]
    vanished: set[str]

    @classmethod
    def none(cls) -> "Drift":
        return cls(set(), set())


def _shape(setup, info, *, orders: bool) -> PortalShape:
    return PortalShape(setup.pipeline_id, setup.stage_ids, info.stage_mapping, bootstrap.now(), info.settings,
                       setup.company_identity, deals=not orders, orders=orders,
                       order_pipeline_id=setup.order_pipeline_id, order_stage_ids=setup.order_stage_ids or {})


def drifted_deals(crm, batch, setup, info) -> Drift:
    """The batch's deals that differ from what Moulin says now, or are gone."""
    expected = build(batch, _shape(setup, info, orders=False), {}, {}, {}).work.upserts.get("deals", {})
    return _compare(crm, "deals", DEAL_KEY, expected, DEAL_COMPARED, info)


def drifted_orders(crm, batch, setup, info) -> Drift:
    """The batch's HubSpot orders that differ from what Moulin says now, or are gone."""
    shape = _shape(setup, info, orders=True)
    built = build(batch, shape, {}, {}, {})
    add_orders(built, batch, shape, {}, {}, OrderLinks(), {})
    expected = built.work.upserts.get("orders", {})
    return _compare(crm, HUBSPOT_TYPE["orders"], ORDER_KEY, expected, ORDER_COMPARED, info)


def _compare(crm, hubspot_type: str, key_property: str, expected: dict[str, dict], properties: tuple[str, ...],
             info) -> Drift:
    compared = [p for p in properties if not (p in STAGE_PROPERTIES and info.settings.hubspot_owns_stages)]
    keys = sorted(expected)
    found = crm.read(hubspot_type, keys, compared + [key_property], id_property=key_property)
    return Drift({key for key in keys if (actual := found.get(key)) is not None
                  and any(str(actual.get(p) or "") != expected[key].get(p, "") for p in compared)},
                 {key for key in keys if key not in found})
