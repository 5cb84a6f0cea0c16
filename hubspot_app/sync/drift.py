"""What the nightly reconcile reads back and compares (`reconcile.py`): a store's deals and HubSpot orders, each
against what Moulin says now, planned by the same pure code as the sync (`batch.build`, `order_batch.add_orders`).

A record whose stage, amount or pipeline differ is drifted: the reconcile forgets its hash (and its line items'),
and the same pass re-sends it, in place. A missing deal is drifted too (re-created); a missing HubSpot order is not:
re-creating it would keep its line items on the deleted order (a line item has one parent, and the reconcile has no
ids of them to archive), so it is left to the webhooks contract, like an order deleted while we listened. With
`stage_source == "hubspot"` the stage is the users', so a different stage is not drift.
"""
from __future__ import annotations

from hubspot_app import bootstrap
from hubspot_app.domain.batch import PortalShape, build
from hubspot_app.domain.order_batch import OrderLinks, add_orders
from hubspot_app.domain.planner import HUBSPOT_TYPE
from hubspot_app.domain.schema import DEAL_KEY, ORDER_KEY

DEAL_COMPARED = ("dealstage", "amount", "pipeline")
ORDER_COMPARED = ("hs_pipeline_stage", "hs_total_price", "hs_pipeline")
STAGE_PROPERTIES = ("dealstage", "hs_pipeline_stage")


def _shape(setup, info, *, orders: bool) -> PortalShape:
    return PortalShape(setup.pipeline_id, setup.stage_ids, info.stage_mapping, bootstrap.now(), info.settings,
                       setup.company_identity, deals=not orders, orders=orders,
                       order_pipeline_id=setup.order_pipeline_id, order_stage_ids=setup.order_stage_ids or {})


def drifted_deals(crm, batch, setup, info) -> list[str]:
    """Order keys whose deal in HubSpot differs from what Moulin says now (or is gone)."""
    expected = build(batch, _shape(setup, info, orders=False), {}, {}, {}).work.upserts.get("deals", {})
    return _compare(crm, "deals", DEAL_KEY, expected, DEAL_COMPARED, info, missing=True)


def drifted_orders(crm, batch, setup, info) -> list[str]:
    """Order keys whose HubSpot order differs from what Moulin says now (a missing one is not drift: see above)."""
    shape = _shape(setup, info, orders=True)
    built = build(batch, shape, {}, {}, {})
    add_orders(built, batch, shape, {}, {}, OrderLinks(), {})
    expected = built.work.upserts.get("orders", {})
    return _compare(crm, HUBSPOT_TYPE["orders"], ORDER_KEY, expected, ORDER_COMPARED, info, missing=False)


def _compare(crm, hubspot_type: str, key_property: str, expected: dict[str, dict], properties: tuple[str, ...],
             info, *, missing: bool) -> list[str]:
    compared = [p for p in properties if not (p in STAGE_PROPERTIES and info.settings.hubspot_owns_stages)]
    keys = sorted(expected)
    found = crm.read(hubspot_type, keys, compared + [key_property], id_property=key_property)
    return [key for key in keys if ((actual := found.get(key)) is None and missing) or actual is not None
            and any(str(actual.get(p) or "") != expected[key].get(p, "") for p in compared)]
