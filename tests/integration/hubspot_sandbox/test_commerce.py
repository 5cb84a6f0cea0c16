"""HubSpot's commerce objects in the sandbox: orders (0-123) and carts (0-142) through the official SDK's generic
objects, search, associations and pipelines APIs (strict mode), their scopes and their webhooks."""
from __future__ import annotations

import json

import pytest
import requests
from hubspot.crm.associations.v4 import AssociationSpec
from hubspot.crm.objects import (ApiException, BatchInputSimplePublicObjectBatchInput,
                                 BatchInputSimplePublicObjectBatchInputForCreate,
                                 BatchInputSimplePublicObjectBatchInputUpsert, BatchInputSimplePublicObjectId,
                                 BatchReadInputSimplePublicObjectId, PublicObjectSearchRequest,
                                 SimplePublicObjectInputForCreate)
from hubspot.crm.pipelines import ApiException as PipelinesApiException
from hubspot.crm.pipelines import PipelineInput, PipelineStageInput
from hubspot.crm.properties import PropertyCreate

from sandbox.hubspot.webhook_delivery import WebhookDelivery
from sandbox.serving import serve_in_thread

ORDER = {"hs_order_name": "#1001", "hs_external_order_id": "1001", "hs_currency_code": "EUR",
         "hs_source_store": "moulin-paris", "hs_total_price": "42.50", "hs_subtotal_price": "40.00",
         "hs_order_discount": "5", "hs_tax": "6.50", "hs_shipping_cost": "1.00", "hs_payment_status": "paid",
         "hs_fulfillment_status": "unfulfilled", "hs_external_order_url": "https://shop.example/orders/1001",
         "hs_billing_address_city": "Paris", "hs_shipping_address_street": "1 rue du Moulin"}
CART = {"hs_cart_name": "Checkout 77", "hs_external_cart_id": "77", "hs_cart_url": "https://shop.example/cart/77",
        "hs_total_price": "19.90", "hs_currency_code": "EUR", "hs_cart_discount": "0", "hs_tax": "3.32",
        "hs_shipping_cost": "0", "hs_source_store": "moulin-paris", "hs_external_status": "abandoned"}
ONLINE_ORDERS = [("Open", "OPEN"), ("Paid", "OPEN"), ("Shipped", "CLOSED"), ("Refunded", "CLOSED")]


def spec(type_id: int) -> dict:
    return {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}


@pytest.mark.parametrize("name", ["orders", "order", "0-123", "carts", "cart", "0-142"])
def test_every_name_of_the_commerce_objects_reaches_the_same_records(hs, name):
    objects = hs.sdk().crm.objects.basic_api
    properties = ORDER if name in ("orders", "order", "0-123") else CART
    created = objects.create(name, SimplePublicObjectInputForCreate(properties=properties))
    assert created.properties["hs_total_price"] == properties["hs_total_price"]
    # Without `properties` a read gives hs_createdate, hs_lastmodifieddate and hs_object_id (orders and carts guides).
    assert set(objects.get_by_id(name, created.id).properties) == {"hs_createdate", "hs_lastmodifieddate",
                                                                   "hs_object_id"}


def test_orders_and_carts_batch_create_read_update_archive(hs):
    batch = hs.sdk().crm.objects.batch_api
    for name, properties, changed in (("orders", ORDER, {"hs_fulfillment_status": "shipped"}),
                                      ("carts", CART, {"hs_external_status": "recovered"})):
        created = batch.create(name, BatchInputSimplePublicObjectBatchInputForCreate(inputs=[
            {"properties": dict(properties)}, {"properties": dict(properties, hs_total_price="1")}]))
        assert created.status == "COMPLETE" and len(created.results) == 2
        ids = [r.id for r in created.results]
        updated = batch.update(name, BatchInputSimplePublicObjectBatchInput(
            inputs=[{"id": i, "properties": changed} for i in ids]))
        assert {r.properties[next(iter(changed))] for r in updated.results} == set(changed.values())
        read = batch.read(name, BatchReadInputSimplePublicObjectId(inputs=[{"id": i} for i in ids],
                                                                   properties=["hs_total_price"], properties_with_history=[]))
        assert sorted(r.properties["hs_total_price"] for r in read.results) == sorted(
            [properties["hs_total_price"], "1"])
        batch.archive(name, BatchInputSimplePublicObjectId(inputs=[{"id": i} for i in ids]))
        assert all(r.archived for r in hs.state.objects(hs.portal_id, name).values())


def test_upsert_needs_a_unique_property_which_hs_external_ids_are_not(hs):
    sdk = hs.sdk()
    for name, key, external in (("orders", "moulin_order_key", "hs_external_order_id"),
                                ("carts", "moulin_cart_key", "hs_external_cart_id")):
        with pytest.raises(ApiException) as not_unique:
            sdk.crm.objects.batch_api.upsert(name, BatchInputSimplePublicObjectBatchInputUpsert(inputs=[
                {"idProperty": external, "id": "1001", "properties": {}}]))
        assert not_unique.value.status == 400 and "not a unique identifier" in json.loads(not_unique.value.body)[
            "message"]
        sdk.crm.properties.core_api.create(name, PropertyCreate(
            name=key, label="Moulin key", type="string", field_type="text", group_name=name[:-1] + "information",
            has_unique_value=True))
        upsert = BatchInputSimplePublicObjectBatchInputUpsert(inputs=[
            {"idProperty": key, "id": "paris:1001", "properties": {external: "1001"}}])
        first = sdk.crm.objects.batch_api.upsert(name, upsert)
        again = sdk.crm.objects.batch_api.upsert(name, upsert)
        assert first.results[0].new is True and again.results[0].new is False
        assert first.results[0].id == again.results[0].id
        assert len(hs.state.objects(hs.portal_id, name)) == 1


def test_search_orders_and_carts_by_their_properties(hs):
    sdk = hs.sdk()
    sdk.crm.objects.basic_api.create("orders", SimplePublicObjectInputForCreate(properties=ORDER))
    sdk.crm.objects.basic_api.create("orders", SimplePublicObjectInputForCreate(
        properties=dict(ORDER, hs_source_store="moulin-lyon")))
    sdk.crm.objects.basic_api.create("carts", SimplePublicObjectInputForCreate(properties=CART))
    found = sdk.crm.objects.search_api.do_search("orders", PublicObjectSearchRequest(
        filter_groups=[{"filters": [{"propertyName": "hs_source_store", "operator": "EQ", "value": "moulin-lyon"}]}],
        properties=["hs_order_name", "hs_source_store"], limit=10))
    assert found.total == 1 and found.results[0].properties["hs_source_store"] == "moulin-lyon"
    abandoned = sdk.crm.objects.search_api.do_search("carts", PublicObjectSearchRequest(
        filter_groups=[{"filters": [{"propertyName": "hs_external_status", "operator": "EQ", "value": "abandoned"}]}],
        properties=["hs_cart_url"], limit=10))
    assert [r.properties["hs_cart_url"] for r in abandoned.results] == [CART["hs_cart_url"]]


def test_commerce_association_ids_both_ways(hs):
    sdk = hs.sdk()
    objects = sdk.crm.objects.basic_api
    contact = sdk.crm.contacts.basic_api.create({"properties": {"email": "buyer@example.com"}}).id
    company = sdk.crm.companies.basic_api.create({"properties": {"name": "Moulin SA"}}).id
    deal = sdk.crm.deals.basic_api.create({"properties": {"dealname": "#1001"}}).id
    line = sdk.crm.line_items.basic_api.create({"properties": {"name": "Flour", "price": "2", "quantity": "1"}}).id
    cart_line = sdk.crm.line_items.basic_api.create({"properties": {"name": "Flour", "price": "2"}}).id
    cart = objects.create("carts", SimplePublicObjectInputForCreate(properties=CART, associations=[
        {"to": {"id": contact}, "types": [spec(586)]}, {"to": {"id": cart_line}, "types": [spec(590)]}])).id
    order = objects.create("orders", SimplePublicObjectInputForCreate(properties=ORDER, associations=[
        {"to": {"id": contact}, "types": [spec(507)]}, {"to": {"id": company}, "types": [spec(509)]},
        {"to": {"id": deal}, "types": [spec(512)]}, {"to": {"id": line}, "types": [spec(513)]},
        {"to": {"id": cart}, "types": [spec(593)]}])).id
    v4 = sdk.crm.associations.v4.basic_api
    expected = {("contacts", contact): 508, ("companies", company): 510, ("deals", deal): 511,
                ("line_items", line): 514, ("carts", cart): 592}
    for (from_type, from_id), inverse in expected.items():
        back = v4.get_page(from_type, from_id, "orders").results
        assert [str(r.to_object_id) for r in back] == [order]
        assert inverse in {t.type_id for t in back[0].association_types}
    company_types = {t.type_id: t.label for t in v4.get_page("orders", order, "companies").results[0].association_types}
    assert company_types == {509: "Primary", 934: None}
    assert {t.type_id for t in v4.get_page("contacts", contact, "carts").results[0].association_types} == {587}
    assert {t.type_id for t in v4.get_page("line_items", cart_line, "carts").results[0].association_types} == {591}


def test_a_line_item_has_one_parent_and_carts_have_no_company_association(hs):
    sdk = hs.sdk()
    objects = sdk.crm.objects.basic_api
    line = sdk.crm.line_items.basic_api.create({"properties": {"name": "Flour", "price": "2"}}).id
    cart = objects.create("carts", SimplePublicObjectInputForCreate(properties=CART, associations=[
        {"to": {"id": line}, "types": [spec(590)]}])).id
    with pytest.raises(ApiException) as second_parent:
        objects.create("orders", SimplePublicObjectInputForCreate(properties=ORDER, associations=[
            {"to": {"id": line}, "types": [spec(513)]}]))
    assert second_parent.value.status == 400 and "one parent" in json.loads(second_parent.value.body)["message"]
    company = sdk.crm.companies.basic_api.create({"properties": {"name": "Moulin SA"}}).id
    answer = requests.put(f"{hs.url}/crm/v4/objects/carts/{cart}/associations/default/companies/{company}",
                          headers=hs.headers(), timeout=5)
    assert answer.status_code == 400 and answer.json()["category"] == "VALIDATION_ERROR"


def order_pipeline(hs, stages=ONLINE_ORDERS, label="Online orders"):
    return hs.sdk().crm.pipelines.pipelines_api.create("orders", PipelineInput(
        label=label, display_order=0,
        stages=[PipelineStageInput(label=label, display_order=i, metadata={"state": state})
                for i, (label, state) in enumerate(stages)]))


def test_order_pipeline_stages_carry_open_or_closed_state(hs):
    pipelines = hs.sdk().crm.pipelines
    assert pipelines.pipelines_api.get_all("orders").results == []
    created = order_pipeline(hs)
    assert [s.metadata["state"] for s in created.stages] == ["OPEN", "OPEN", "CLOSED", "CLOSED"]
    assert [p.id for p in pipelines.pipelines_api.get_all("order").results] == [created.id]
    for metadata in ({}, {"state": "open"}, {"probability": "0.5"}):
        with pytest.raises(PipelinesApiException) as refused:
            pipelines.pipeline_stages_api.create("orders", created.id, PipelineStageInput(
                label="Cancelled", display_order=9, metadata=metadata))
        assert refused.value.status == 400
    with pytest.raises(PipelinesApiException) as too_many:
        order_pipeline(hs, [(f"Stage {i}", "OPEN") for i in range(31)], label="Long")
    assert too_many.value.status == 400 and "at most 30 stages" in json.loads(too_many.value.body)["message"]
    with pytest.raises(PipelinesApiException) as no_cart_pipelines:
        pipelines.pipelines_api.get_all("carts")
    assert no_cart_pipelines.value.status == 400


def test_an_order_stage_must_belong_to_its_pipeline(hs):
    pipeline = order_pipeline(hs)
    paid = pipeline.stages[1].id
    objects = hs.sdk().crm.objects.basic_api
    order = objects.create("orders", SimplePublicObjectInputForCreate(
        properties=dict(ORDER, hs_pipeline=pipeline.id, hs_pipeline_stage=paid)))
    assert order.properties["hs_pipeline_stage"] == paid
    for wrong in ({"hs_pipeline": pipeline.id, "hs_pipeline_stage": "closedwon"},
                  {"hs_pipeline_stage": paid}, {"hs_pipeline": "default"}):
        with pytest.raises(ApiException) as refused:
            objects.create("orders", SimplePublicObjectInputForCreate(properties=dict(ORDER, **wrong)))
        assert refused.value.status == 400 and "INVALID_OPTION" in json.loads(refused.value.body)["message"]


def test_orders_and_carts_need_their_own_scopes(sandbox):
    state, url = sandbox
    portal = state.create_portal()
    tokens = state.issue_tokens(portal, scopes=["crm.objects.deals.read", "crm.objects.deals.write",
                                                "crm.objects.orders.read"])
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert requests.get(f"{url}/crm/v3/objects/orders", headers=headers, timeout=5).status_code == 200
    for method, path, scope in (("post", "/crm/v3/objects/orders", "crm.objects.orders.write"),
                                ("post", "/crm/v3/objects/0-123/batch/upsert", "crm.objects.orders.write"),
                                ("get", "/crm/v3/objects/carts", "crm.objects.carts.read"),
                                ("post", "/crm/v3/objects/cart/search", "crm.objects.carts.read"),
                                ("post", "/crm/objects/2026-03/0-142/batch/create", "crm.objects.carts.write")):
        denied = getattr(requests, method)(f"{url}{path}", json={"inputs": []}, headers=headers, timeout=5)
        assert denied.status_code == 403, path
        body = denied.json()
        assert body["category"] == "MISSING_SCOPES"
        assert body["errors"][0]["context"]["requiredGranularScopes"] == [scope]


def test_orders_and_carts_cannot_be_merged(hs):
    objects = hs.sdk().crm.objects.basic_api
    for name, properties in (("orders", ORDER), ("carts", CART)):
        a, b = (objects.create(name, SimplePublicObjectInputForCreate(properties=properties)).id for _ in range(2))
        answer = requests.post(f"{hs.url}/crm/v3/objects/{name}/merge", headers=hs.headers(), timeout=5,
                               json={"primaryObjectId": a, "objectIdToMerge": b})
        assert answer.status_code == 400
        with pytest.raises(Exception, match="not supported"):
            hs.state.user_merge(hs.portal_id, name, a, b)


class Receiver:
    """A loopback endpoint that keeps every webhook body it is sent."""

    def __init__(self):
        self.events: list[dict] = []

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        self.events += json.loads(environ["wsgi.input"].read(length))
        start_response("204 No Content", [])
        return [b""]


COMMERCE_SUBSCRIPTIONS = [{"subscriptionType": f"object.{kind}", "objectType": name, "active": True}
                          for name in ("order", "cart") for kind in ("creation", "deletion", "propertyChange")]


def test_generic_webhooks_announce_order_and_cart_changes(hs):
    receiver = Receiver()
    server = serve_in_thread(receiver)
    delivery = WebhookDelivery(hs.state, f"http://127.0.0.1:{server.port}/webhooks", "secret", hs.state.app_id,
                               subscriptions=COMMERCE_SUBSCRIPTIONS)
    try:
        objects = hs.sdk().crm.objects.basic_api
        order = objects.create("orders", SimplePublicObjectInputForCreate(properties={"hs_order_name": "#1"})).id
        cart = objects.create("carts", SimplePublicObjectInputForCreate(properties={"hs_cart_name": "C"})).id
        objects.archive("carts", cart)
        assert delivery.flush()
    finally:
        delivery.stop()
        server.stop()
    mine = [e for e in receiver.events if e["portalId"] == hs.portal_id]
    seen = {(e["subscriptionType"], e["objectTypeId"], str(e["objectId"]), e.get("propertyName")) for e in mine}
    assert {("object.creation", "0-123", order, None), ("object.propertyChange", "0-123", order, "hs_order_name"),
            ("object.creation", "0-142", cart, None), ("object.deletion", "0-142", cart, None)} <= seen
    assert {e["changeFlag"] for e in mine if e["subscriptionType"] == "object.deletion"} == {"DELETED"}


@pytest.mark.parametrize("kind", ["order.creation", "cart.deletion"])
def test_there_is_no_legacy_webhook_type_for_orders_or_carts(hs, kind):
    with pytest.raises(ValueError, match="object.*"):
        WebhookDelivery(hs.state, "http://127.0.0.1:9/webhooks", "secret", hs.state.app_id,
                        subscriptions=[{"subscriptionType": kind, "active": True}])
