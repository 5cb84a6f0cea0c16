"""Products deleted in Moulin: archived in HubSpot, or kept and marked discontinued (the store's choice).

HubSpot keys products by SKU and has no variants, so one Moulin product is several
HubSpot products. Each write remembers which Moulin product a SKU came from
(`moulin_product` links, "store:product id:SKU"), so a deletion, which names only
the product id, finds every SKU it made. An archived product is not re-created
from an old order's line: its line items keep name, SKU and price without it.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.models import MoulinStore
from ..moulin.records import Deletion
from ..store_settings import DISCONTINUE, StoreSettings
from . import repository as repo

CATALOGUE_KIND = "moulin_product"


def remember_catalogue(session: Session, portal_id: int, store: str, written: dict[str, str],
                       product_ids: dict[str, str]) -> None:
    """written: SKU -> HubSpot id of the products just written; product_ids: SKU -> Moulin product id."""
    repo.save_links(session, portal_id, CATALOGUE_KIND, {
        f"{store}:{product_ids[sku]}:{sku}": (hs_id, None, "synced")
        for sku, hs_id in written.items() if sku in product_ids})


def deletion_mode(session: Session, portal_id: int, store: str) -> str:
    settings = session.scalar(select(MoulinStore.settings).where(MoulinStore.portal_id == portal_id,
                                                                MoulinStore.code == store)) or {}
    return StoreSettings.of(settings).product_deletion


def apply_product_deletions(session: Session, crm, portal_id: int, deletions: list[Deletion]) -> dict:
    report = {"products_archived": 0, "products_discontinued": 0}
    for deletion in deletions:
        made = [link for link in repo.links_with_prefix(session, portal_id, CATALOGUE_KIND,
                                                        f"{deletion.store}:{deletion.id}:") if link.hubspot_id]
        if not made:
            continue
        skus = {link.source_key.rsplit(":", 1)[1]: link.hubspot_id for link in made}
        if deletion_mode(session, portal_id, deletion.store) == DISCONTINUE:
            result = crm.update("products", [(hs_id, {"moulin_discontinued": "true"}) for hs_id in skus.values()])
            repo.record_errors(session, portal_id, "product", {sku: message for sku, hs_id in skus.items()
                                                               if (message := result.errors.get(hs_id))})
            report["products_discontinued"] += len(skus)
        else:
            crm.archive("products", list(skus.values()))
            # "archived" (not deleted): the sync then leaves the SKU alone instead of re-creating it from a line.
            repo.save_links(session, portal_id, "product", {sku: (hs_id, None, "archived")
                                                            for sku, hs_id in skus.items()})
            report["products_archived"] += len(skus)
        repo.delete_links(session, portal_id, CATALOGUE_KIND, [link.source_key for link in made])
    return report
