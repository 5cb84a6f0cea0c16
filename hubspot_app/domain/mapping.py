"""Moulin records -> HubSpot properties. Pure: no I/O, every value a string (or absent).

Rule for customers: a non-empty Moulin value overwrites HubSpot's, an empty one
is simply not sent, so what a sales rep typed in HubSpot is never blanked.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Iterable

from hubspot_app.domain.content_hash import content_hash
from hubspot_app.domain.records import Address, Company, Customer, Order, OrderLine, Product
from hubspot_app.domain.schema import COMPANY_KEY, DEAL_KEY, LINE_KEY, PRODUCT_KEY
from hubspot_app.domain.stages import net_amount

MAX_LIST_CHARS = 65000  # HubSpot caps a text property at 65,536 characters


def ms(value: datetime | None) -> str | None:
    return str(int(value.timestamp() * 1000)) if value else None


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _clean(props: dict) -> dict[str, str]:
    return {k: str(v) for k, v in props.items() if v not in (None, "")}


def deal_name(order: Order, customer: Customer | None, company: Company | None = None) -> str:
    who = (customer.full_name or customer.email) if customer else None
    return f"#{order.number} — {who or (company.name if company else None) or 'Guest'}"


def deal_properties(order: Order, *, customer: Customer | None, company: Company | None, pipeline_id: str,
                    stage_id: str, pickup_point: str | None) -> dict[str, str]:
    return _clean({
        DEAL_KEY: order.key,
        "dealname": deal_name(order, customer, company),
        "pipeline": pipeline_id,
        "dealstage": stage_id,
        "amount": money(net_amount(order)),
        "deal_currency_code": order.currency,
        "closedate": ms(order.created_at),
        "moulin_order_number": order.number,
        "moulin_store": order.store,
        "moulin_status": order.status.value,
        "moulin_financial_status": order.financial_status,
        "moulin_fulfillment_status": order.fulfillment_status,
        "moulin_currency": order.currency,
        "moulin_subtotal": money(order.subtotal),
        "moulin_discounts": money(order.discounts),
        "moulin_taxes": money(order.taxes),
        "moulin_shipping": money(order.shipping),
        "moulin_total": money(order.total),
        "moulin_refunded_amount": money(order.refunded_amount),
        "moulin_pickup_point": pickup_point,
        "moulin_source": order.source,
        "moulin_landing_site": order.landing_site,
        "moulin_referring_site": order.referring_site,
        "moulin_cancel_reason": order.cancel_reason,
        "moulin_cancelled_at": ms(order.cancelled_at),
        "moulin_checkout_recovery_url": order.abandoned_checkout_url,
    })


def line_key(order: Order, line: OrderLine) -> str:
    return f"{order.key}:{line.id}"


def line_item_properties(order: Order, line: OrderLine, hs_product_id: str | None) -> dict[str, str]:
    return _clean({
        LINE_KEY: line_key(order, line),
        "name": line.title,
        "quantity": line.quantity,
        "price": money(line.unit_price),
        "hs_line_item_currency_code": order.currency,
        # HubSpot's discount is per unit (its line total is price x quantity - discount x quantity).
        "discount": money((line.discount / line.quantity).quantize(Decimal("0.01"))) if line.discount else None,
        "hs_sku": line.sku,
        "hs_product_id": hs_product_id,
    })


@dataclass(frozen=True)
class ContactStats:
    """A contact's aggregates, recomputed from all its synced orders (never incremented)."""

    orders_count: int = 0
    lifetime_value: Decimal = Decimal("0")
    first_order_at: datetime | None = None
    last_order_at: datetime | None = None
    last_pickup_point: str | None = None
    skus: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    value_by_currency: tuple[tuple[str, Decimal], ...] = ()  # the card shows each currency apart

    @property
    def average_order_value(self) -> Decimal:
        if not self.orders_count:
            return Decimal("0")
        return (self.lifetime_value / self.orders_count).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class OrderFacts:
    """What one order contributes to its contact's aggregates."""

    ordered_at: datetime
    net_total: Decimal
    counts: bool  # carts and cancelled orders are not purchases
    pickup_point: str | None = None
    skus: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    currency: str | None = None


def _newest_first(values: Iterable[tuple[datetime, Iterable[str]]]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for _, items in sorted(values, key=lambda v: v[0], reverse=True):
        for item in items:
            if item:
                seen.setdefault(item, None)
    return tuple(seen)


def contact_stats(orders: Iterable[OrderFacts]) -> ContactStats:
    """THE totals of a contact: the contact's properties and the card are both this function of its orders."""
    bought = [o for o in orders if o.counts]
    if not bought:
        return ContactStats()
    latest = max(bought, key=lambda o: o.ordered_at)
    with_pickup = [o for o in bought if o.pickup_point]
    return ContactStats(
        orders_count=len(bought),
        lifetime_value=sum((o.net_total for o in bought), Decimal("0")),
        first_order_at=min(o.ordered_at for o in bought),
        last_order_at=latest.ordered_at,
        last_pickup_point=max(with_pickup, key=lambda o: o.ordered_at).pickup_point if with_pickup else None,
        skus=_newest_first((o.ordered_at, o.skus) for o in bought),
        categories=_newest_first((o.ordered_at, o.categories) for o in bought),
        brands=_newest_first((o.ordered_at, o.brands) for o in bought),
        value_by_currency=tuple(sorted(
            (currency, sum((o.net_total for o in bought if o.currency == currency), Decimal("0")))
            for currency in {o.currency for o in bought if o.currency})),
    )


def _joined(values: tuple[str, ...]) -> str | None:
    text = ";".join(values)
    return text[:MAX_LIST_CHARS].rsplit(";", 1)[0] if len(text) > MAX_LIST_CHARS else (text or None)


def _address_properties(address: Address | None) -> dict:
    """HubSpot's address properties are the same on contacts and companies."""
    if address is None:
        return {}
    return {"address": address.street, "city": address.city, "zip": address.postcode, "country": address.country}


def contact_properties(customer: Customer, stats: ContactStats) -> dict[str, str]:
    address = customer.addresses[0] if customer.addresses else None
    return _clean({
        "email": customer.email,
        "firstname": customer.first_name,
        "lastname": customer.last_name,
        "phone": customer.phone,
        **_address_properties(address),
        "moulin_customer_id": customer.id,
        "moulin_accepts_marketing": "true" if customer.accepts_marketing else "false",
    }) | stats_properties(stats)


STATS_PROPERTIES = ("moulin_orders_count", "moulin_lifetime_value", "moulin_average_order_value",
                    "moulin_first_order_date", "moulin_last_order_date", "moulin_last_pickup_point",
                    "moulin_skus_bought", "moulin_categories_bought", "moulin_brands_bought")


def contact_hash(props: dict, extra: dict | None = None) -> str:
    """Three parts: the customer's own data and its company, the order aggregates, the own data alone.

    A contact deleted in HubSpot may come back only when Moulin changed the
    customer itself (`customer_changed`), not when one of its orders changed.
    The contact is re-written only when what HubSpot stores changes
    (`contact_properties_changed`): a new company alone is an association.
    """
    own = {k: v for k, v in props.items() if k not in STATS_PROPERTIES}
    stats = {k: v for k, v in props.items() if k in STATS_PROPERTIES}
    # 32 + 16 + 16 hex digits: the stored column holds 64; 64 bits are plenty to notice a change.
    return content_hash({**own, **(extra or {})})[:32] + _stats_part(stats) + content_hash(own)[:16]


def _stats_part(stats_props: dict) -> str:
    """The aggregates' part of a contact hash (its hex digits 32-48)."""
    return content_hash(stats_props)[:16]


def contact_properties_changed(stored: str | None, digest: str) -> bool:
    """Would HubSpot store anything different? (A hash from before the third part: yes, once.)"""
    return not stored or stored[32:] != digest[32:]


def customer_changed(stored: str | None, digest: str) -> bool:
    # No stored hash (the last write was incomplete): no evidence of a change, so a deletion is respected.
    return bool(stored) and stored[:32] != digest[:32]


def stats_written(stored: str | None, stats_props: dict) -> str | None:
    """The hash to keep after writing the aggregates alone: the customer's parts stay, the totals' part is what was
    sent, so a later full pass that finds the same totals writes nothing."""
    return stored[:32] + _stats_part(stats_props) + stored[48:] if stored else None


def stats_properties(stats: ContactStats) -> dict[str, str]:
    """The aggregates alone, always all of them: a total that became empty is sent as "" so HubSpot clears it.

    "Property values can be cleared by passing an empty string" (HubSpot CRM objects API, update a record:
    https://developers.hubspot.com/docs/api/crm/understanding-the-crm).
    """
    return {name: str(value) if value not in (None, "") else "" for name, value in {
        "moulin_orders_count": stats.orders_count,
        "moulin_lifetime_value": money(stats.lifetime_value),
        "moulin_average_order_value": money(stats.average_order_value),
        "moulin_first_order_date": ms(stats.first_order_at),
        "moulin_last_order_date": ms(stats.last_order_at),
        "moulin_last_pickup_point": stats.last_pickup_point,
        "moulin_skus_bought": _joined(stats.skus),
        "moulin_categories_bought": _joined(stats.categories),
        "moulin_brands_bought": _joined(stats.brands),
    }.items()}


# What makes two Moulin accounts one legal entity, per portal (`PortalSetup.company_identity`).
COMPANY_IDENTITIES = ("siret", "vat", "domain", "account")


def _identifier(company: Company, identity: str) -> str | None:
    if identity == "siret":
        return "".join(ch for ch in company.siret or "" if ch.isdigit()) or None
    if identity == "vat":
        return "".join(ch for ch in company.vat_number or "" if ch.isalnum()).upper() or None
    if identity == "domain":
        return (company.domain or "").strip().lower().removeprefix("www.") or None
    return None


def company_key(store: str, company: Company, identity: str) -> str:
    """One key per legal entity: the same SIRET (VAT, domain) in two stores is one HubSpot company.

    An account that lacks the identifier keeps a key of its own store ("account" keys everything so).
    """
    value = _identifier(company, identity)
    return f"{identity}:{value}" if value else f"{store}:{company.id}"


def company_properties(store: str, company: Company, identity: str) -> dict[str, str]:
    address = company.address
    return _clean({
        COMPANY_KEY: company_key(store, company, identity),
        "name": company.name,
        "domain": company.domain,
        **_address_properties(address),
        "moulin_siret": company.siret,
        "moulin_vat_number": company.vat_number,
    })


def product_properties(product: Product) -> list[tuple[str, dict[str, str]]]:
    """The product and each variant, as products of their own keyed by SKU (HubSpot has no variants)."""
    # hs_images is HubSpot's own "Image URL" product property (knowledge.hubspot.com/properties/
    # hubspots-default-product-properties); type and vendor have no HubSpot counterpart (hs_product_type
    # is inventory/non-inventory/service), so they are ours.
    base = {"description": product.description_html, "moulin_product_id": product.id, "hs_images": product.image_url,
            "moulin_product_type": product.product_type, "moulin_vendor": product.vendor}
    rows = [(product.sku, _clean({**base, PRODUCT_KEY: product.sku, "name": product.title,
                                  "price": money(product.price)}))]
    for variant in product.variants:
        if variant.sku != product.sku:
            rows.append((variant.sku, _clean({**base, PRODUCT_KEY: variant.sku,
                                              "name": f"{product.title} — {variant.title}",
                                              "price": money(variant.price), "moulin_variant_id": variant.id,
                                              "moulin_variant_options": variant.title})))
    return rows


def product_from_line(line: OrderLine) -> dict[str, str]:
    """When the catalogue does not know a SKU, the line still gets a product to point at."""
    return _clean({PRODUCT_KEY: line.sku, "name": line.title, "price": money(line.unit_price),
                   "moulin_product_id": line.product_id, "moulin_variant_id": line.variant_id})
