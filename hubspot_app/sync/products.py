"""Products deleted in Moulin: archived in HubSpot, or kept and marked discontinued (the store's choice).

HubSpot keys products by SKU and has no variants, so one Moulin product is several
HubSpot products. Each write remembers which Moulin product a SKU came from
(`moulin_product` links, "store:product id:SKU"), so a deletion, which names only
the product id, finds every SKU it made. An archived product is not re-created
from an old order's line: its line items keep name, SKU and price without it.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.models import MoulinStore
from hubspot_app.domain.records import Deletion
from hubspot_app.domain.store_settings import DISCONTINUE, StoreSettings
from hubspot_app.db import repository as repo
from hubspot_app.domain.planner import Work

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


@dataclass(frozen=True)
class ProductRemoval:
    """One deleted Moulin product: the catalogue links it made, its SKUs' HubSpot ids, and what to do."""

    made: tuple[str, ...]  # `moulin_product` link keys
    skus: dict[str, str]  # SKU -> HubSpot id
    mode: str


def load_product_deletions(session: Session, portal_id: int, deletions: list[Deletion]) -> list[ProductRemoval]:
    removals = []
    for deletion in deletions:
        made = [link for link in repo.links_with_prefix(session, portal_id, CATALOGUE_KIND,
                                                        f"{deletion.store}:{deletion.id}:") if link.hubspot_id]
        if made:
            removals.append(ProductRemoval(tuple(link.source_key for link in made),
                                           {link.source_key.rsplit(":", 1)[1]: link.hubspot_id for link in made},
                                           deletion_mode(session, portal_id, deletion.store)))
    return removals


def plan_product_deletions(work: Work, by_id: dict, removals: list[ProductRemoval]) -> None:
    """Archived, or kept and marked discontinued (an update by id: the product must not be re-created)."""
    for removal in removals:
        for sku, hs_id in removal.skus.items():
            if removal.mode == DISCONTINUE:
                work.upsert("products", sku, {"moulin_discontinued": "true"})
                by_id[("products", sku)] = hs_id
            else:
                work.archive("products", hs_id)


def save_product_deletions(session: Session, portal_id: int, removals: list[ProductRemoval], outcome) -> dict:
    report = {"products_archived": 0, "products_discontinued": 0}
    for removal in removals:
        if removal.mode == DISCONTINUE:
            repo.record_errors(session, portal_id, "product", {sku: message for sku in removal.skus
                                                               if (message := outcome.errors.get(("products", sku)))})
            report["products_discontinued"] += len(removal.skus)
        else:
            # "archived" (not deleted): the sync then leaves the SKU alone instead of re-creating it from a line.
            repo.save_links(session, portal_id, "product", {sku: (hs_id, None, "archived")
                                                            for sku, hs_id in removal.skus.items()})
            report["products_archived"] += len(removal.skus)
        repo.delete_links(session, portal_id, CATALOGUE_KIND, list(removal.made))
    return report
