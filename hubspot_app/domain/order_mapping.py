"""Moulin order -> HubSpot's native Order (`0-123`) properties. Pure: no I/O, every value a string (or absent).

HubSpot's own order properties carry what they name (the order guide's default properties: name, currency, totals,
discount, tax, shipping, addresses, source store, external id and URL, fulfilment and payment status); ours add the
unique key we upsert by and what HubSpot has no property for. The stage comes from the same rules as the deal's
(`stages.stage_for`), written as the order pipeline's stage id.
"""
from __future__ import annotations

from hubspot_app.domain.records import Address, Company, Customer, Order
from hubspot_app.domain.mapping import _clean, deal_name, money, ms
from hubspot_app.domain.schema import ORDER_KEY
from hubspot_app.domain.stages import net_amount

ADDRESS_PARTS = (("street", "street"), ("city", "city"), ("state", "region"), ("postal_code", "postcode"),
                 ("country", "country"))


def _address(prefix: str, address: Address | None) -> dict:
    if address is None:
        return {}
    return {f"{prefix}_{part}": getattr(address, field) for part, field in ADDRESS_PARTS}


def order_addresses(customer: Customer | None, company: Company | None) -> tuple[Address | None, Address | None]:
    """(billing, shipping). Moulin orders carry no address of their own: a B2B order is billed to its company,
    and goods go to the customer's first address (a pickup order names its pickup point apart)."""
    own = customer.addresses[0] if customer and customer.addresses else None
    return (company.address if company and company.address else own), own


def order_properties(order: Order, *, customer: Customer | None, company: Company | None, pipeline_id: str,
                     stage_id: str, pickup_point: str | None, order_url: str | None) -> dict[str, str]:
    billing, shipping = order_addresses(customer, company)
    return _clean({
        ORDER_KEY: order.key,
        "hs_order_name": deal_name(order, customer, company),
        "hs_external_order_id": order.id,
        "hs_external_order_url": order_url,
        "hs_source_store": order.store,
        "hs_pipeline": pipeline_id,
        "hs_pipeline_stage": stage_id,
        "hs_currency_code": order.currency,
        "hs_subtotal_price": money(order.subtotal),
        "hs_order_discount": money(order.discounts),
        "hs_tax": money(order.taxes),
        "hs_shipping_cost": money(order.shipping),
        # The total net of refunds, like the deal's amount; the refund itself apart, so reports see both (in a
        # property of ours: HubSpot's docs name no order refund property).
        "hs_total_price": money(net_amount(order)),
        "moulin_refunded_amount": money(order.refunded_amount),
        "hs_payment_status": order.financial_status,
        "hs_fulfillment_status": order.fulfillment_status,
        "hs_external_created_date": ms(order.created_at),
        **_address("hs_billing_address", billing),
        **_address("hs_shipping_address", shipping),
        "hs_billing_address_email": customer.email if customer else None,
        "moulin_status": order.status.value,
        "moulin_pickup_point": pickup_point,
        "moulin_checkout_recovery_url": order.abandoned_checkout_url,
    })


def order_line_key(line_key: str) -> str:
    """The unique `moulin_line_key` of an order's own line item: a line item has one parent (HubSpot), so an order
    and a deal of the same Moulin order each get their own, under different keys."""
    return f"{line_key}@order"
