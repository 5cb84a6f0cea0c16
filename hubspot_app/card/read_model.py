"""Queries behind the contact card, on the `card_orders` read model only: no Moulin, no HubSpot call.

A contact's orders are the rows of its portal carrying its HubSpot id, plus the
rows carrying any email our link table holds for that id: the second half
covers orders synced before the contact existed or before a merge changed its id.
Its totals are `sync.mapping.contact_stats` of those orders: the function that
computes the contact's properties, so the card and HubSpot show one figure.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import Connection, and_, bindparam, select, union
from sqlalchemy.orm import Session

from ..db.models import CardOrder, DealStageChange, MoulinStore, ObjectLink, PortalSetup
from hubspot_app.domain.record_pages import record_url
from hubspot_app.domain.order_links import order_link
from hubspot_app.domain.batch import NOT_PURCHASES
from hubspot_app.domain.stages import STAGE_LABELS
from hubspot_app.domain.mapping import ContactStats, OrderFacts, contact_stats

MAX_PER_PAGE = 50
MAX_PAGE = 100_000  # keeps OFFSET a sane integer whatever the query string says
DEFAULT_PER_PAGE = 10
CENT = Decimal("0.01")
_NOT_PURCHASES = frozenset(status.value for status in NOT_PURCHASES)


@dataclass(frozen=True)
class PageRequest:
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @classmethod
    def parse(cls, page, per_page) -> "PageRequest":
        """Lenient on purpose: a bad or huge value is clamped rather than refused, the card keeps working."""
        def whole(value, default: int) -> int:
            try:
                return int(value)
            except (TypeError, ValueError):
                return default

        return cls(min(MAX_PAGE, max(1, whole(page, 1))), min(MAX_PER_PAGE, max(1, whole(per_page, DEFAULT_PER_PAGE))))


# The statements are built once, at import: building a select (with its CASEs and functions) costs more
# CPU than SQLite takes to answer it. Values travel as bound parameters, so the compiled SQL is cached too.
_EMAILS = select(ObjectLink.source_key).where(
    ObjectLink.portal_id == bindparam("portal"), ObjectLink.kind == "contact",
    ObjectLink.hubspot_id == bindparam("contact"), ObjectLink.state == "synced",
).order_by(ObjectLink.source_key)


def _of_contact(by_email: bool):
    # A UNION of two index searches rather than `a OR b`: planners (SQLite's at least) answer the OR
    # by scanning the whole portal. Every email linked to the contact counts (two after a merge in HubSpot).
    ids = select(CardOrder.id).where(CardOrder.portal_id == bindparam("portal"),
                                     CardOrder.hubspot_contact_id == bindparam("contact"))
    if by_email:
        ids = union(ids, select(CardOrder.id).where(CardOrder.portal_id == bindparam("portal"),
                                                    CardOrder.contact_email.in_(bindparam("emails", expanding=True))))
    return CardOrder.id.in_(ids)


def _facts_query(where):
    """What the totals are computed from: the same facts, through the same function, as the contact's properties."""
    return select(CardOrder.ordered_at, CardOrder.status, CardOrder.total, CardOrder.refunded, CardOrder.currency,
                  CardOrder.pickup_point).where(where)


def _page_query(where):
    # The store's name and URL template come with each row (outer join: a row whose store is gone still shows).
    store = and_(MoulinStore.portal_id == CardOrder.portal_id, MoulinStore.code == CardOrder.store_code)
    return (select(CardOrder.store_code, CardOrder.order_id, CardOrder.order_number, CardOrder.ordered_at,
                   CardOrder.status, CardOrder.currency, CardOrder.total, CardOrder.refunded, CardOrder.item_count,
                   CardOrder.pickup_point, CardOrder.order_url, CardOrder.hubspot_deal_id,
                   CardOrder.hubspot_order_id,
                   MoulinStore.name.label("store_name"), MoulinStore.order_url_template)
            .outerjoin(MoulinStore, store).where(where)
            .order_by(CardOrder.ordered_at.desc(), CardOrder.id.desc())
            .offset(bindparam("offset")).limit(bindparam("limit")))


_FACTS = {by_email: _facts_query(_of_contact(by_email)) for by_email in (False, True)}
_PAGE = {by_email: _page_query(_of_contact(by_email)) for by_email in (False, True)}


def contact_emails(session: Session | Connection, portal_id: int, contact_id: str) -> list[str]:
    return list(session.execute(_EMAILS, {"portal": portal_id, "contact": contact_id}).scalars())


def contact_email(session: Session | Connection, portal_id: int, contact_id: str) -> str | None:
    return next(iter(contact_emails(session, portal_id, contact_id)), None)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _money(value) -> str:
    return str(Decimal(str(value or 0)).quantize(CENT))


def _moved_by_people(session: Session | Connection, portal_id: int, rows) -> dict[str, str]:
    """Deal id -> the label of the stage a person last moved it to in HubSpot, for the deals on this page.

    Only while it is still the deal's stage: the person's move is newer than our last write of the deal,
    or the store lets HubSpot own the stage (`adopted`), so our writes leave it alone.
    """
    deal_ids = sorted({row.hubspot_deal_id for row in rows if row.hubspot_deal_id})
    if not deal_ids:
        return {}
    latest: dict[str, tuple[str, int, bool]] = {}
    for deal_id, stage, at_ms, adopted in session.execute(
            select(DealStageChange.hubspot_deal_id, DealStageChange.stage, DealStageChange.occurred_at_ms,
                   DealStageChange.adopted)
            .where(DealStageChange.portal_id == portal_id, DealStageChange.hubspot_deal_id.in_(deal_ids))
            .order_by(DealStageChange.occurred_at_ms)):
        latest[deal_id] = (stage, at_ms, adopted)
    if not latest:
        return {}
    written = dict(session.execute(select(ObjectLink.hubspot_id, ObjectLink.synced_at).where(
        ObjectLink.portal_id == portal_id, ObjectLink.kind == "deal", ObjectLink.hubspot_id.in_(sorted(latest)))).all())
    stage_ids = session.execute(select(PortalSetup.stage_ids).where(PortalSetup.portal_id == portal_id)).scalar()
    labels = {stage_id: STAGE_LABELS[key] for key, stage_id in (stage_ids or {}).items() if key in STAGE_LABELS}
    return {deal_id: labels.get(stage, stage) for deal_id, (stage, at_ms, adopted) in latest.items()
            if adopted or deal_id not in written or at_ms > _ms(written[deal_id])}


def _ms(value: datetime | str) -> int:
    if isinstance(value, str):  # SQLite through a Connection returns text
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return int(value.timestamp() * 1000)


def _order(row, deal_url: str | None, hubspot_stage: str | None = None, order_url: str | None = None) -> dict:
    url = row.order_url
    if not url and row.order_url_template:
        url = order_link(row.order_url_template, order_id=row.order_id, order_number=row.order_number,
                         store=row.store_code)
    return {
        "id": f"{row.store_code}:{row.order_id}", "number": row.order_number,
        "store": row.store_code, "storeName": row.store_name or row.store_code,
        "orderedAt": _iso(row.ordered_at), "status": row.status,
        "currency": row.currency, "total": _money(row.total), "refunded": _money(row.refunded),
        "itemCount": row.item_count, "pickupPoint": row.pickup_point, "url": url, "dealUrl": deal_url,
        "orderUrl": order_url, "hubspotStage": hubspot_stage,
    }


def _facts(rows) -> list[OrderFacts]:
    return [OrderFacts(ordered_at=r.ordered_at, net_total=max(Decimal(str(r.total)) - Decimal(str(r.refunded or 0)),
                                                                Decimal("0")),
                       counts=r.status not in _NOT_PURCHASES, pickup_point=r.pickup_point, currency=r.currency)
            for r in rows]


def _totals(stats: ContactStats) -> dict:
    return {"orders": stats.orders_count,
            "value": [{"currency": currency, "amount": _money(amount)} for currency, amount in stats.value_by_currency],
            "lastOrderAt": _iso(stats.last_order_at)}


def contact_orders(session: Session | Connection, portal_id: int, contact_id: str,
                   paging: PageRequest, app_host: str | None = None) -> dict:
    """One page of the contact's orders, newest first, with lifetime totals. Small by construction (≤ 50 rows).

    `app_host` (HubSpot's app, `HUBSPOT_AUTH_BASE`) gives each order the links to its deal's page and its HubSpot
    order's page, whichever the store's target wrote: the rows are the same whatever the target.
    """
    emails = contact_emails(session, portal_id, contact_id)
    params = {"portal": portal_id, "contact": contact_id, **({"emails": emails} if emails else {})}
    facts = _facts(session.execute(_FACTS[bool(emails)], params).all())
    count, totals = len(facts), _totals(contact_stats(facts))
    rows = session.execute(_PAGE[bool(emails)], {**params, "offset": (paging.page - 1) * paging.per_page,
                                                 "limit": paging.per_page}).all()
    moved = _moved_by_people(session, portal_id, rows)

    def url(target: str, hubspot_id: str | None) -> str | None:
        return record_url(app_host, portal_id, target, hubspot_id) if hubspot_id and app_host else None

    return {
        "contactId": contact_id, "email": emails[0] if emails else None,
        "orders": [_order(row, url("deal", row.hubspot_deal_id), moved.get(row.hubspot_deal_id),
                          url("order", row.hubspot_order_id)) for row in rows],
        "page": paging.page, "perPage": paging.per_page, "totalCount": count,
        "totalPages": max(1, math.ceil(count / paging.per_page)),
        "totals": totals,
    }
