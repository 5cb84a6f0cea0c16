"""Search and associations v4 through the official SDK (strict mode) against the HubSpot sandbox."""
from __future__ import annotations

import json

import pytest
from hubspot.crm.associations.v4 import BatchInputPublicAssociationMultiArchive, \
    BatchInputPublicAssociationMultiPost, BatchInputPublicDefaultAssociationMultiPost, \
    BatchInputPublicFetchAssociationsBatchRequest
from hubspot.crm.contacts import PublicObjectSearchRequest
from hubspot.crm.contacts import ApiException as ContactsApiException

from sandbox.hubspot.schema import object_type
from sandbox.hubspot.testing import sandbox_portal


def make(hs, type_name: str, properties: dict) -> str:
    return hs.state.crm(hs.portal_id).create(object_type(type_name), {"properties": properties}).id


def test_search_filters_sorts_paging_total(hs):
    for i, (first, last) in enumerate([("Ann", "Lee"), ("Bob", "Lee"), ("Cy", "Moe"), ("Di", "Lee")]):
        make(hs, "contacts", {"email": f"{first.lower()}@shop.test", "firstname": first, "lastname": last,
                              "phone": str(100 + i)})
    search = hs.sdk().crm.contacts.search_api
    request = PublicObjectSearchRequest(
        filter_groups=[{"filters": [{"propertyName": "lastname", "operator": "EQ", "value": "lee"},
                                    {"propertyName": "phone", "operator": "GTE", "value": "101"}]},
                       {"filters": [{"propertyName": "firstname", "operator": "IN", "values": ["cy"]}]}],
        sorts=[{"propertyName": "firstname", "direction": "DESCENDING"}], properties=["firstname"], limit=2)
    page = search.do_search(public_object_search_request=request)
    assert page.total == 3
    assert [r.properties["firstname"] for r in page.results] == ["Di", "Cy"]
    request.after = page.paging.next.after
    rest = search.do_search(public_object_search_request=request)
    assert [r.properties["firstname"] for r in rest.results] == ["Bob"] and rest.paging is None

    tokens = search.do_search(public_object_search_request=PublicObjectSearchRequest(filter_groups=[
        {"filters": [{"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": "*@shop.test"},
                     {"propertyName": "phone", "operator": "BETWEEN", "value": "101", "highValue": "102"},
                     {"propertyName": "mobilephone", "operator": "NOT_HAS_PROPERTY"}]}]))
    assert tokens.total == 2


def test_search_limits(hs):
    search = hs.sdk().crm.contacts.search_api
    six_groups = [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}]}] * 6
    with pytest.raises(ContactsApiException) as too_many:
        search.do_search(public_object_search_request=PublicObjectSearchRequest(filter_groups=six_groups))
    assert too_many.value.status == 400
    with pytest.raises(ContactsApiException) as too_big:
        search.do_search(public_object_search_request=PublicObjectSearchRequest(limit=201))
    assert too_big.value.status == 400


def test_search_has_its_own_rate_limit_without_headers():
    with sandbox_portal(search_rate_limit=(2, 1.0)) as hs:
        search = hs.sdk().crm.deals.search_api
        from hubspot.crm.deals import PublicObjectSearchRequest as DealSearch, ApiException
        for _ in range(2):
            search.do_search(public_object_search_request=DealSearch())
        with pytest.raises(ApiException) as limited:
            search.do_search(public_object_search_request=DealSearch())
        assert limited.value.status == 429
        assert "X-HubSpot-RateLimit-Max" not in limited.value.headers
        assert json.loads(limited.value.body)["errorType"] == "RATE_LIMIT"
        hs.state.clock.advance(1.01)
        assert search.do_search(public_object_search_request=DealSearch()).total == 0


def test_associations_v4_batch_create_read_default_archive(hs):
    deal = make(hs, "deals", {"dealname": "Order 1", "pipeline": "default", "dealstage": "closedwon"})
    contact = make(hs, "contacts", {"email": "a@b.test"})
    company = make(hs, "companies", {"name": "B"})
    v4 = hs.sdk().crm.associations.v4.batch_api
    created = v4.create("deals", "contacts", BatchInputPublicAssociationMultiPost(inputs=[
        {"from": {"id": deal}, "to": {"id": contact},
         "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}]}]))
    assert str(created.results[0].from_object_id) == deal and created.results[0].to_object_type_id == "0-1"

    default = v4.create_default("deals", "companies", BatchInputPublicDefaultAssociationMultiPost(inputs=[
        {"from": {"id": deal}, "to": {"id": company}}]))
    assert {r.association_spec.association_type_id for r in default.results} == {341, 342}

    # Two-way: the contact sees the deal with the inverse type id.
    back = v4.get_page("contacts", "deals", BatchInputPublicFetchAssociationsBatchRequest(inputs=[{"id": contact}]))
    assert str(back.results[0].to[0].to_object_id) == deal
    assert [t.type_id for t in back.results[0].to[0].association_types] == [4]

    single = hs.sdk().crm.associations.v4.basic_api.get_page("companies", company, "deals")
    assert [str(r.to_object_id) for r in single.results] == [deal]

    v4.archive("deals", "contacts", BatchInputPublicAssociationMultiArchive(inputs=[
        {"from": {"id": deal}, "to": [{"id": contact}]}]))
    empty = v4.get_page("contacts", "deals", BatchInputPublicFetchAssociationsBatchRequest(inputs=[{"id": contact}]))
    assert empty.results == [] and empty.num_errors == 1


def test_association_errors_are_207_and_line_items_have_one_parent(hs):
    deal1 = make(hs, "deals", {"dealname": "D1"})
    deal2 = make(hs, "deals", {"dealname": "D2"})
    product = make(hs, "products", {"name": "Flour", "price": "3.5", "hs_sku": "FL-1"})
    item = make(hs, "line_items", {"hs_product_id": product, "quantity": "2"})
    assert hs.state.objects(hs.portal_id, "line_items")[item].properties["price"] == "3.5"
    v4 = hs.sdk().crm.associations.v4.batch_api
    spec = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 20}]
    answer = v4.create("line_items", "deals", BatchInputPublicAssociationMultiPost(inputs=[
        {"from": {"id": item}, "to": {"id": deal1}, "types": spec},
        {"from": {"id": item}, "to": {"id": deal2}, "types": spec},
        {"from": {"id": item}, "to": {"id": "999"}, "types": spec}]))
    assert len(answer.results) == 1 and answer.num_errors == 2
    assert {e.category for e in answer.errors} == {"VALIDATION_ERROR", "OBJECT_NOT_FOUND"}


def test_inline_associations_on_create(hs):
    contact = make(hs, "contacts", {"email": "in@line.test"})
    from hubspot.crm.deals import SimplePublicObjectInputForCreate
    deal = hs.sdk().crm.deals.basic_api.create(SimplePublicObjectInputForCreate(
        properties={"dealname": "Inline", "pipeline": "default", "dealstage": "appointmentscheduled"},
        associations=[{"to": {"id": contact},
                       "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}]}]))
    read = hs.sdk().crm.deals.basic_api.get_by_id(deal.id, associations=["contacts"])
    assert read.associations["contacts"].results[0].id == contact


def test_associations_v4_basic_api(hs):
    order = make(hs, "orders", {"hs_order_name": "#1"})
    contact = make(hs, "contacts", {"email": "o@b.test"})
    basic = hs.sdk().crm.associations.v4.basic_api
    pair = basic.create("order", order, "contacts", contact,
                        [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 507}])
    assert str(pair.to_object_id) == contact and pair.from_object_type_id == "0-123"
    company = make(hs, "companies", {"name": "C"})
    default = basic.create_default("contacts", contact, "companies", company)
    assert default.results[0].association_spec.association_type_id == 279
    assert [str(r.to_object_id) for r in basic.get_page("contacts", contact, "order").results] == [order]
    basic.archive("contacts", contact, "order", order)
    assert basic.get_page("order", order, "contacts").results == []


def test_search_by_associated_record(hs):
    contact = make(hs, "contacts", {"email": "buyer@b.test"})
    mine = make(hs, "deals", {"dealname": "Mine"})
    make(hs, "deals", {"dealname": "Other"})
    hs.state.crm(hs.portal_id).associate(object_type("deals"), mine, object_type("contacts"), contact, 3)
    from hubspot.crm.deals import PublicObjectSearchRequest as DealSearch
    found = hs.sdk().crm.deals.search_api.do_search(public_object_search_request=DealSearch(
        filter_groups=[{"filters": [{"propertyName": "associations.contact", "operator": "EQ", "value": contact}]}],
        properties=["dealname"]))
    assert [r.properties["dealname"] for r in found.results] == ["Mine"]


def test_archive_only_a_label(hs):
    from hubspot.crm.associations.v4 import BatchInputPublicAssociationMultiPost as Post
    contact, company = make(hs, "contacts", {"email": "l@b.test"}), make(hs, "companies", {"name": "L"})
    v4 = hs.sdk().crm.associations.v4.batch_api
    v4.create("contacts", "companies", Post(inputs=[{"from": {"id": contact}, "to": {"id": company}, "types": [
        {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}]}]))
    v4.archive_labels("contacts", "companies", Post(inputs=[{"from": {"id": contact}, "to": {"id": company},
                                                             "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                                        "associationTypeId": 1}]}]))
    left = hs.sdk().crm.associations.v4.basic_api.get_page("contacts", contact, "companies").results
    assert [[t.type_id for t in r.association_types] for r in left] == [[279]]
