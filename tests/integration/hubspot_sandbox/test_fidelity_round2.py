"""Departures from HubSpot found in the round-2 audit (issue 13), each checked through the official SDK in strict
mode, or plain HTTP where the SDK has no method. The sources are cited beside the sandbox code."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
import requests
from hubspot.crm.associations.v4 import BatchInputPublicAssociationMultiPost
from hubspot.crm.deals import ApiException as DealsApiException
from hubspot.crm.deals import PublicObjectSearchRequest as DealSearch
from hubspot.crm.line_items import SimplePublicObjectInputForCreate as LineItemInput
from hubspot.crm.pipelines import ApiException as PipelinesApiException
from hubspot.crm.pipelines import PipelineInput, PipelineStageInput
from hubspot.crm.properties import PropertyCreate

from sandbox.hubspot.schema import object_type


def make(hs, type_name: str, properties: dict) -> str:
    return hs.state.crm(hs.portal_id).create(object_type(type_name), {"properties": properties}).id


def search_deals(hs, groups: list[list[dict]]):
    request = DealSearch(filter_groups=[{"filters": filters} for filters in groups], properties=["dealname"])
    return hs.sdk().crm.deals.search_api.do_search(public_object_search_request=request)


def refused(hs, groups: list[list[dict]]) -> dict:
    with pytest.raises(DealsApiException) as error:
        search_deals(hs, groups)
    assert error.value.status == 400
    body = json.loads(error.value.body)
    assert body["category"] == "VALIDATION_ERROR" and body["status"] == "error" and body["correlationId"]
    return body


HAS = {"propertyName": "dealname", "operator": "HAS_PROPERTY"}


def test_search_allows_six_filters_per_group_and_eighteen_in_all(hs):
    assert search_deals(hs, [[HAS] * 6] * 3).total == 0
    assert "6" in refused(hs, [[HAS] * 7])["message"]
    assert "18" in refused(hs, [[HAS] * 6, [HAS] * 6, [HAS] * 6, [HAS]])["message"]


def test_search_takes_one_sort(hs):
    request = DealSearch(sorts=["dealname", "-createdate"])
    with pytest.raises(DealsApiException) as refused:
        hs.sdk().crm.deals.search_api.do_search(public_object_search_request=request)
    assert refused.value.status == 400 and "sort" in json.loads(refused.value.body)["message"]


def test_search_body_over_3000_characters_is_refused(hs):
    values = [f"order-{n:05d}" for n in range(150)]  # one filter, about 2,300 characters of values
    assert search_deals(hs, [[{"propertyName": "dealname", "operator": "IN", "values": values}]]).total == 0
    longer = values + [f"order-{n:05d}" for n in range(150, 250)]
    assert "3000" in refused(hs, [[{"propertyName": "dealname", "operator": "IN", "values": longer}]])["message"]


def test_enumeration_filters_are_case_sensitive(hs):
    deal = make(hs, "deals", {"dealname": "D", "pipeline": "default", "dealstage": "appointmentscheduled"})
    for op, key, wanted in (("EQ", "value", "appointmentscheduled"), ("IN", "values", ["appointmentscheduled"])):
        exact = search_deals(hs, [[{"propertyName": "dealstage", "operator": op, key: wanted}]])
        assert [r.id for r in exact.results] == [deal]
        shouted = wanted.upper() if isinstance(wanted, str) else [w.upper() for w in wanted]
        assert search_deals(hs, [[{"propertyName": "dealstage", "operator": op, key: shouted}]]).total == 0
    # Text properties keep matching without regard to case.
    assert search_deals(hs, [[{"propertyName": "dealname", "operator": "EQ", "value": "d"}]]).total == 1


def test_line_items_without_properties_carry_the_documented_default_set(hs):
    api = hs.sdk().crm.line_items.basic_api
    created = api.create(LineItemInput(properties={"name": "Flour", "price": "2.50", "quantity": "4"}))
    read = api.get_by_id(created.id)
    assert set(read.properties) == {"amount", "createdate", "hs_lastmodifieddate", "hs_object_id", "price",
                                    "quantity"}
    assert Decimal(read.properties["amount"]) == Decimal("10")


def _stages(labels: list[str]) -> list[PipelineStageInput]:
    return [PipelineStageInput(label=label, display_order=i, metadata={"probability": "0.5"})
            for i, label in enumerate(labels)]


def test_pipeline_stage_labels_are_unique_and_a_deal_pipeline_holds_100_stages(hs):
    api = hs.sdk().crm.pipelines.pipelines_api
    stages_api = hs.sdk().crm.pipelines.pipeline_stages_api
    with pytest.raises(PipelinesApiException) as twice:
        api.create("deals", PipelineInput(label="Twice", display_order=1, stages=_stages(["Paid", "Paid"])))
    assert twice.value.status == 400 and json.loads(twice.value.body)["category"] == "VALIDATION_ERROR"
    with pytest.raises(PipelinesApiException) as too_many:
        api.create("deals", PipelineInput(label="Long", display_order=1,
                                          stages=_stages([f"Step {n}" for n in range(101)])))
    assert too_many.value.status == 400
    full = api.create("deals", PipelineInput(label="Full", display_order=1,
                                             stages=_stages([f"Step {n}" for n in range(100)])))
    assert len(full.stages) == 100
    with pytest.raises(PipelinesApiException) as one_more:
        stages_api.create("deals", full.id, PipelineStageInput(label="Step 100", display_order=100,
                                                               metadata={"probability": "0.5"}))
    assert one_more.value.status == 400
    small = api.create("deals", PipelineInput(label="Small", display_order=2, stages=_stages(["Open", "Paid"])))
    with pytest.raises(PipelinesApiException) as renamed:
        stages_api.update("deals", small.id, small.stages[0].id, {"label": "Paid"})
    assert renamed.value.status == 400


def test_association_labels_endpoint_lists_the_types_between_two_objects(hs):
    answer = hs.sdk().crm.associations.v4.schema.definitions_api.get_all("deals", "companies")
    assert {(r.type_id, r.label, r.category) for r in answer.results} == {
        (341, None, "HUBSPOT_DEFINED"), (5, "Primary", "HUBSPOT_DEFINED")}


def test_deleting_the_unlabelled_association_removes_every_association_between_the_two(hs):
    deal, company = make(hs, "deals", {"dealname": "P"}), make(hs, "companies", {"name": "P"})
    v4 = hs.sdk().crm.associations.v4.batch_api
    primary = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 5}]
    v4.create("deals", "companies", BatchInputPublicAssociationMultiPost(inputs=[
        {"from": {"id": deal}, "to": {"id": company}, "types": primary}]))
    unlabelled = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 341}]
    v4.archive_labels("deals", "companies", BatchInputPublicAssociationMultiPost(inputs=[
        {"from": {"id": deal}, "to": {"id": company}, "types": unlabelled}]))
    assert hs.sdk().crm.associations.v4.basic_api.get_page("deals", deal, "companies").results == []


def test_a_multiple_checkbox_value_starting_with_a_semicolon_appends(hs):
    hs.sdk().crm.properties.core_api.create("contacts", PropertyCreate(
        name="moulin_channels", label="Channels", type="enumeration", field_type="checkbox",
        group_name="contactinformation", options=[{"label": c, "value": c, "displayOrder": i, "hidden": False}
                                                  for i, c in enumerate(("web", "shop", "phone"))]))
    contacts = hs.sdk().crm.contacts.basic_api
    contact = make(hs, "contacts", {"email": "multi@b.test", "moulin_channels": "web"})
    contacts.update(contact, {"properties": {"moulin_channels": ";shop"}})
    assert contacts.get_by_id(contact, properties=["moulin_channels"]).properties["moulin_channels"] == "web;shop"
    contacts.update(contact, {"properties": {"moulin_channels": "phone"}})  # without `;` it replaces
    assert contacts.get_by_id(contact, properties=["moulin_channels"]).properties["moulin_channels"] == "phone"


def test_introspection_carries_token_and_token_type(hs):
    client = {"client_id": hs.state.oauth.client_id, "client_secret": hs.state.oauth.client_secret}
    for kind in ("access_token", "refresh_token"):
        info = requests.post(f"{hs.url}/oauth/2026-03/token/introspect",
                             data={**client, "token": hs.tokens[kind], "token_type_hint": kind}, timeout=5).json()
        assert info["active"] is True and info["token"] == hs.tokens[kind]
        assert info["token_type"] == kind.removesuffix("_token")
