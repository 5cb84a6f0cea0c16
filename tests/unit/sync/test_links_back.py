"""Which links go back to the store: pure selection, no I/O."""
from __future__ import annotations

from hubspot_app.domain.links_back import LinkState, OrderRecords, awaiting, batches, changes, payload, wanted_links

HOST = "https://app.hubspot.com"


def test_each_order_gets_its_deal_and_each_customer_its_contact_and_company_as_record_pages():
    wanted = wanted_links(HOST + "/", 42, [OrderRecords("o1", "c1", "900", "500", "700"),
                                           OrderRecords("o2", None, None, None, None)])
    assert wanted == {
        ("order", "o1"): {"deal": {"id": "900", "url": f"{HOST}/contacts/42/record/0-3/900"}, "order": None},
        ("customer", "c1"): {"contact": {"id": "500", "url": f"{HOST}/contacts/42/record/0-1/500"},
                             "company": {"id": "700", "url": f"{HOST}/contacts/42/record/0-2/700"}},
        ("order", "o2"): {"deal": None, "order": None},  # a guest order that HubSpot refused: nothing to link
    }


def test_only_new_or_changed_links_are_written_and_pending_means_the_store_lacks_them():
    deal = {"deal": {"id": "1", "url": "u1"}, "order": None}
    moved = {"deal": {"id": "2", "url": "u2"}, "order": None}
    known = {("order", "same"): LinkState(deal, deal),              # sent, unchanged: nothing to do
             ("order", "changed"): LinkState(deal, deal),           # sent, now another deal: send once more
             ("order", "back"): LinkState(moved, deal),             # changed, then back before it was sent
             ("order", "waiting"): LinkState(deal, None)}           # never sent, same again: already pending
    wanted = {("order", "same"): deal, ("order", "changed"): moved, ("order", "back"): deal,
              ("order", "waiting"): deal, ("order", "new"): deal}
    assert changes(wanted, known) == {("order", "changed"): (moved, True), ("order", "back"): (deal, False),
                                      ("order", "new"): (deal, True)}


def test_a_request_body_groups_orders_and_customers_as_the_contract_says():
    body = payload(42, [(("order", "o1"), {"deal": None, "order": None}),
                        (("customer", "c1"), {"contact": {"id": "5", "url": "u"}, "company": None})])
    assert body == {"portal_id": 42, "orders": [{"order_id": "o1", "deal": None, "order": None}],
                    "customers": [{"customer_id": "c1", "contact": {"id": "5", "url": "u"}, "company": None}]}
    assert [len(b) for b in batches(list(range(250)))] == [100, 100, 50]


def test_a_sync_delivers_when_a_link_changed_or_one_of_its_records_was_never_delivered():
    deal = {"deal": {"id": "1", "url": "u1"}, "order": None}
    delivered, undelivered = LinkState(deal, deal), LinkState(deal, None)
    assert not awaiting({("order", "a"): delivered}, {})
    assert awaiting({("order", "a"): undelivered}, {})  # a store that failed or lacked the capability before
    assert awaiting({}, {("order", "b"): (deal, True)})
    assert not awaiting({("order", "b"): LinkState({"deal": None, "order": None}, deal)}, {("order", "b"): (deal, False)})
