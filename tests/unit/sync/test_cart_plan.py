"""Checkouts -> HubSpot carts: the pure plan (`sync.cart_plan`) over one checkout's life."""
from datetime import timedelta

from hubspot_app.domain.store_settings import StoreSettings
from hubspot_app.domain.batch import Built, Gone, PortalShape, SourceBatch
from hubspot_app.domain.cart_mapping import cart_state
from hubspot_app.domain.cart_plan import CartLinks, plan_carts
from hubspot_app.domain.cart_schema import CART_CONTACT, CART_KEY, CART_LINES, CART_ORDER, CART_TYPE, LINE_ITEM_CART
from hubspot_app.domain.planner import Work

from .records import T0, customer, line, order

URL = "https://shop.example/checkouts/abc/recover"
EMAIL = "jane@example.com"


def _shape(now, **settings):
    return PortalShape("pipe", {}, {}, now, StoreSettings(**settings))


def _plan(o, now=T0 + timedelta(hours=1), links=CartLinks(), orders_on=True, reached=None, contact=True,
          **settings):
    batch = SourceBatch("b2c", [o], customers={"c1": customer()}, reached=reached or {})
    built = Built(Work())
    # what `batch.build` leaves: the order's contact key, None when the contact is left deleted or privacy-deleted
    built.ends[o.key] = (EMAIL if contact else None, None, False)
    stale = plan_carts(built, batch, _shape(now, **settings), links, orders_on=orders_on)
    return built, stale


def _checkout(**kw):
    return order(status="checkout", abandoned_checkout_url=URL, **kw)


def test_an_open_checkout_is_a_cart_with_its_recovery_url_totals_lines_and_contact():
    built, _ = _plan(_checkout(total="35.50", currency="CHF"))
    cart = built.work.upserts[CART_TYPE]["b2c:o1"]
    assert cart[CART_KEY] == "b2c:o1" and cart["hs_external_cart_id"] == "o1" and cart["hs_source_store"] == "b2c"
    assert cart["hs_cart_url"] == URL
    assert (cart["hs_total_price"], cart["hs_currency_code"]) == ("35.50", "CHF")
    assert cart["moulin_cart_status"] == "open"
    assert list(built.work.upserts[CART_LINES]) == ["cart/b2c:o1:l1"]
    assert built.work.associations[LINE_ITEM_CART] == {("cart/b2c:o1:l1", "b2c:o1")}
    assert built.work.associations[CART_CONTACT] == {("b2c:o1", EMAIL)}


def test_a_contact_left_deleted_or_privacy_deleted_gets_no_cart_association():
    built, _ = _plan(_checkout(), contact=False)
    assert built.work.upserts[CART_TYPE] and CART_CONTACT not in built.work.associations


def test_a_checkout_past_the_store_threshold_is_abandoned_with_the_time_it_turned():
    built, _ = _plan(_checkout(), now=T0 + timedelta(hours=5), abandon_after_hours=4)
    cart = built.work.upserts[CART_TYPE]["b2c:o1"]
    assert cart["moulin_cart_status"] == "abandoned"
    assert cart["moulin_cart_abandoned_at"] == str(int((T0 + timedelta(hours=4)).timestamp() * 1000))


def test_an_unchanged_cart_is_not_written_again():
    first, _ = _plan(_checkout())
    stored = CartLinks(hashes={"b2c:o1": first.hashes[(CART_TYPE, "b2c:o1")]},
                       lines={"b2c:o1": {"cart/b2c:o1:l1"}},
                       line_hashes={"cart/b2c:o1:l1": first.hashes[(CART_LINES, "cart/b2c:o1:l1")]})
    again, _ = _plan(_checkout(), links=stored)
    assert again.work.upserts == {} and again.work.associations == {}


def test_a_line_removed_from_the_checkout_is_stale():
    first, _ = _plan(_checkout())
    stored = CartLinks(hashes={"b2c:o1": first.hashes[(CART_TYPE, "b2c:o1")]},
                       lines={"b2c:o1": {"cart/b2c:o1:l1"}})
    _, stale = _plan(_checkout(lines=[line("l2", "SKU-2")]), links=stored)
    assert stale == {"b2c:o1": ["cart/b2c:o1:l1"]}


def test_paid_closes_the_cart_once_and_links_it_to_the_order():
    opened, _ = _plan(_checkout())
    links = CartLinks(hashes={"b2c:o1": opened.hashes[(CART_TYPE, "b2c:o1")]})
    paid, _ = _plan(order(status="paid"), links=links, reached={"b2c:o1": "checkout_abandoned"})
    cart = paid.work.upserts[CART_TYPE]["b2c:o1"]
    assert (cart["moulin_cart_status"], cart["moulin_cart_recovered"], cart["hs_external_status"]) == (
        "converted", "true", "paid")
    assert "hs_cart_url" not in cart and CART_LINES not in paid.work.upserts  # the checkout's snapshot stays
    assert paid.work.associations[CART_ORDER] == {("b2c:o1", "b2c:o1")}
    closed = CartLinks(hashes={"b2c:o1": paid.hashes[(CART_TYPE, "b2c:o1")]})
    shipped, _ = _plan(order(status="shipped", total="19.00"), links=closed, reached={"b2c:o1": "processed"})
    assert shipped.work.upserts == {} and shipped.work.associations == {}


def test_a_cart_closes_without_the_order_link_when_the_store_sends_no_hubspot_orders():
    links = CartLinks(hashes={"b2c:o1": "open-hash"})
    built, _ = _plan(order(status="paid"), links=links, orders_on=False)
    assert built.work.upserts[CART_TYPE]["b2c:o1"]["moulin_cart_recovered"] == "false"
    assert CART_ORDER not in built.work.associations


def test_an_order_never_seen_as_a_checkout_gets_no_cart():
    built, _ = _plan(order(status="paid"))
    assert built.work.upserts == {}


def test_a_cart_deleted_in_hubspot_follows_the_deal_rules():
    gone = CartLinks(gone={"b2c:o1": Gone("deleted_in_hubspot", "old")})
    left, _ = _plan(_checkout(), links=gone)
    assert left.work.upserts == {} and (CART_TYPE, "b2c:o1") in left.declined
    back, _ = _plan(_checkout(), links=gone, recreate_deleted_deals=True)
    assert back.work.upserts[CART_TYPE] and back.work.upserts[CART_LINES]  # re-created with its lines
    paid, _ = _plan(order(status="paid"), links=gone, recreate_deleted_deals=True)
    assert paid.work.upserts == {}  # a closed cart is not re-created: nothing is left to recover


def test_cart_state_follows_the_checkout():
    threshold = timedelta(hours=24)
    assert cart_state(_checkout(), T0, threshold).status == "open"
    assert cart_state(_checkout(), T0 + threshold, threshold).status == "abandoned"
    assert cart_state(order(status="cancelled"), T0, threshold).status == "cancelled"
    assert cart_state(order(status="completed"), T0, threshold).status == "converted"
