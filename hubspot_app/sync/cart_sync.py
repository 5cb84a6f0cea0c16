"""What carts add to a sync's pipeline: their reads in the one short read, their plan beside the orders', and the
removal of stale line links in the one short write. The cart writes themselves go with the others' (`execute`),
and their links are saved by the sync's generic write (`object_links` kinds `cart` and `cart_line`)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from hubspot_app.db import repository as repo
from hubspot_app.domain.batch import Built, Gone, PortalShape, SourceBatch, archive_orphans
from hubspot_app.domain.cart_plan import CartLinks, plan_carts
from hubspot_app.domain.cart_schema import CART_LINES, CART_TYPE
from .setup import carts_granted


@dataclass
class LoadedCarts:
    carts: dict  # order key -> `cart` link
    lines: dict  # cart line key -> `cart_line` link (of live carts)
    plan: CartLinks
    orphaned: dict[str, dict[str, str]]  # gone cart's order key -> {line key: HubSpot id} of those left on it


def carts_on(session: Session, portal_id: int, setup, orders_on: bool) -> bool:
    """Carts go with HubSpot orders, once the portal granted the cart scopes and setup made the cart properties."""
    return orders_on and bool(getattr(setup, "carts_ready", False)) and carts_granted(session, portal_id)


def load_carts(session: Session, portal_id: int, order_keys: set[str]) -> LoadedCarts:
    carts = repo.load_links(session, portal_id, "cart", order_keys)
    live, orphaned = repo.child_links(session, portal_id, "cart_line", carts, lambda key: f"cart/{key}:")
    lines = {line.source_key: line for found in live.values() for line in found}
    linked = {key: {line.source_key for line in found} for key, found in live.items()}
    plan = CartLinks(
        hashes={k: link.content_hash for k, link in carts.items() if link.state == "synced" and link.hubspot_id},
        gone={k: Gone(link.state, link.content_hash) for k, link in carts.items() if link.state != "synced"},
        lines=linked, line_hashes={k: link.content_hash for k, link in lines.items()})
    return LoadedCarts(carts, lines, plan, orphaned)


def add_carts(built: Built, batch: SourceBatch, shape: PortalShape, loaded: LoadedCarts, *, orders_on: bool) -> None:
    """Plan the carts; lines no longer in their checkout are archived with the other writes, and listed in
    `built.stale_cart_lines` for their links to go with the results."""
    stale = plan_carts(built, batch, shape, loaded.plan, orders_on=orders_on)
    for keys in stale.values():
        for line_key in keys:
            built.work.archive(CART_LINES, loaded.lines[line_key].hubspot_id)
            built.stale_cart_lines.append(line_key)
    # A re-created cart gets new line items: the old ones hang on the deleted cart (one parent each), and are
    # archived in the first wave so the new ones do not find them by their unique key.
    for key, orphans in loaded.orphaned.items():
        if key in built.work.upserts.get(CART_TYPE, {}):
            archive_orphans(built, CART_LINES, orphans)


def forget_stale_lines(session: Session, portal_id: int, keys: list[str]) -> None:
    repo.delete_links(session, portal_id, "cart_line", keys)


def plan_cart_deletions(work, loaded: LoadedCarts) -> None:
    """An order deleted in Moulin takes its cart with it, like its deal: the cart and its line items archived."""
    for key, link in loaded.carts.items():
        if link.state == "synced" and link.hubspot_id:
            work.archive(CART_TYPE, link.hubspot_id)
    for line in loaded.lines.values():
        work.archive(CART_LINES, line.hubspot_id)
    for orphans in loaded.orphaned.values():
        for hubspot_id in orphans.values():
            work.archive(CART_LINES, hubspot_id)


def forget_deleted_carts(session: Session, portal_id: int, loaded: LoadedCarts) -> None:
    """The cart links stay, archived, so a later sync of the same key never brings the cart back."""
    repo.save_links(session, portal_id, "cart", {key: (link.hubspot_id, None, "archived")
                                                 for key, link in loaded.carts.items()})
    repo.delete_links(session, portal_id, "cart_line", [
        line.source_key for key in loaded.carts
        for line in repo.links_with_prefix(session, portal_id, "cart_line", f"cart/{key}:")])
