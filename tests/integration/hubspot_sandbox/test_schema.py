"""Properties, property groups, pipelines and stages through the official SDK (strict mode)."""
from __future__ import annotations

import json

import pytest
from hubspot.crm.deals import ApiException as DealsApiException
from hubspot.crm.deals import SimplePublicObjectInputForCreate as DealCreate
from hubspot.crm.pipelines import ApiException as PipelinesApiException
from hubspot.crm.pipelines import PipelineInput, PipelineStageInput
from hubspot.crm.products import SimplePublicObjectInputForCreate as ProductCreate
from hubspot.crm.products import ApiException as ProductsApiException
from hubspot.crm.properties import ApiException as PropertiesApiException
from hubspot.crm.properties import PropertyCreate, PropertyGroupCreate, PropertyUpdate



def test_groups_and_properties_crud(hs):
    props = hs.sdk().crm.properties
    group = props.groups_api.create("contacts", PropertyGroupCreate(name="moulin", label="Moulin", display_order=1))
    assert group.name == "moulin"
    assert "moulin" in [g.name for g in props.groups_api.get_all("contacts").results]

    created = props.core_api.create("contacts", PropertyCreate(
        name="moulin_customer_id", label="Moulin customer id", type="string", field_type="text",
        group_name="moulin", has_unique_value=True))
    assert created.has_unique_value is True and created.created_at is not None
    assert props.core_api.get_by_name("contacts", "moulin_customer_id").label == "Moulin customer id"
    updated = props.core_api.update("contacts", "moulin_customer_id", PropertyUpdate(label="Customer id"))
    assert updated.label == "Customer id"
    names = {p.name for p in props.core_api.get_all("contacts").results}
    assert {"email", "firstname", "lastname", "phone", "moulin_customer_id"} <= names

    with pytest.raises(PropertiesApiException) as duplicate:
        props.core_api.create("contacts", PropertyCreate(name="moulin_customer_id", label="x", type="string",
                                                         field_type="text", group_name="moulin"))
    assert duplicate.value.status == 409
    assert json.loads(duplicate.value.body)["category"] == "OBJECT_ALREADY_EXISTS"
    with pytest.raises(PropertiesApiException) as bad_combo:
        props.core_api.create("contacts", PropertyCreate(name="n", label="n", type="number", field_type="text",
                                                         group_name="moulin"))
    assert bad_combo.value.status == 400

    props.core_api.archive("contacts", "moulin_customer_id")
    assert "moulin_customer_id" not in {p.name for p in props.core_api.get_all("contacts").results}


def test_unique_property_conflict_and_upsert_by_it(hs):
    props = hs.sdk().crm.properties.core_api
    props.create("products", PropertyCreate(name="moulin_ref", label="Ref", type="string", field_type="text",
                                            group_name="productinformation", has_unique_value=True))
    products = hs.sdk().crm.products
    products.basic_api.create(ProductCreate(properties={"name": "Flour", "moulin_ref": "P-1", "hs_sku": "S1"}))
    with pytest.raises(ProductsApiException) as clash:
        products.basic_api.create(ProductCreate(properties={"name": "Other", "moulin_ref": "P-1"}))
    assert clash.value.status == 400 and "already has that value" in json.loads(clash.value.body)["message"]
    from hubspot.crm.products import BatchInputSimplePublicObjectBatchInputUpsert
    upserted = products.batch_api.upsert(BatchInputSimplePublicObjectBatchInputUpsert(inputs=[
        {"idProperty": "moulin_ref", "id": "P-1", "properties": {"price": "2"}},
        {"idProperty": "moulin_ref", "id": "P-2", "properties": {"name": "Rye"}}]))
    assert sorted((r.properties["moulin_ref"], r.new) for r in upserted.results) == [("P-1", False), ("P-2", True)]


def test_at_most_ten_unique_properties(hs):
    core = hs.sdk().crm.properties.core_api
    for i in range(9):  # products' hs_sku is already unique
        core.create("products", PropertyCreate(name=f"u{i}", label=f"u{i}", type="string", field_type="text",
                                               group_name="productinformation", has_unique_value=True))
    with pytest.raises(PropertiesApiException) as eleventh:
        core.create("products", PropertyCreate(name="u9", label="u9", type="string", field_type="text",
                                               group_name="productinformation", has_unique_value=True))
    assert eleventh.value.status == 400


def test_pipelines_and_stages(hs):
    api = hs.sdk().crm.pipelines
    default = api.pipelines_api.get_by_id("deals", "default")
    assert "closedwon" in [s.id for s in default.stages]
    created = api.pipelines_api.create("deals", PipelineInput(label="E-commerce", display_order=1, stages=[
        PipelineStageInput(label="Checkout Pending", display_order=0, metadata={"probability": "0.2"}),
        PipelineStageInput(label="Processed", display_order=1, metadata={"probability": "1.0"})]))
    assert created.id != "default" and all(s.id for s in created.stages)
    stage = api.pipeline_stages_api.create("deals", created.id, PipelineStageInput(
        label="Shipped", display_order=2, metadata={"probability": "1.0"}))
    assert stage.id in [s.id for s in api.pipeline_stages_api.get_all("deals", created.id).results]
    assert created.id in [p.id for p in api.pipelines_api.get_all("deals").results]
    with pytest.raises(PipelinesApiException) as missing_probability:
        api.pipeline_stages_api.create("deals", created.id, PipelineStageInput(label="X", display_order=3,
                                                                               metadata={}))
    assert missing_probability.value.status == 400

    deals = hs.sdk().crm.deals.basic_api
    deal = deals.create(DealCreate(properties={"dealname": "A", "pipeline": created.id, "dealstage": stage.id}))
    assert deal.properties["dealstage"] == stage.id
    with pytest.raises(DealsApiException) as wrong_stage:
        deals.create(DealCreate(properties={"dealname": "B", "pipeline": created.id, "dealstage": "closedwon"}))
    assert wrong_stage.value.status == 400 and "INVALID_OPTION" in json.loads(wrong_stage.value.body)["message"]


def test_line_item_price_cannot_be_negative(hs):
    from hubspot.crm.line_items import ApiException, SimplePublicObjectInputForCreate
    with pytest.raises(ApiException) as negative:
        hs.sdk().crm.line_items.basic_api.create(SimplePublicObjectInputForCreate(
            properties={"name": "Refund", "price": "-1", "quantity": "1"}))
    assert negative.value.status == 400


def test_property_batch_create_and_pipeline_update(hs):
    from hubspot.crm.properties import BatchInputPropertyCreate
    from hubspot.crm.pipelines import PipelinePatchInput
    created = hs.sdk().crm.properties.batch_api.create("deals", BatchInputPropertyCreate(inputs=[
        {"name": "moulin_order_id", "label": "Order id", "type": "string", "fieldType": "text",
         "groupName": "dealinformation", "hasUniqueValue": True},
        {"name": "moulin_channel", "label": "Channel", "type": "enumeration", "fieldType": "select",
         "groupName": "dealinformation", "options": [{"label": "Web", "value": "web", "displayOrder": 0,
                                                      "hidden": False}]}]))
    assert created.status == "COMPLETE" and {p.name for p in created.results} == {"moulin_order_id",
                                                                                   "moulin_channel"}
    with pytest.raises(DealsApiException) as bad_option:
        hs.sdk().crm.deals.basic_api.create(DealCreate(properties={"dealname": "x", "moulin_channel": "fax"}))
    assert "INVALID_OPTION" in json.loads(bad_option.value.body)["message"]
    renamed = hs.sdk().crm.pipelines.pipelines_api.update("deals", "default", PipelinePatchInput(label="Sales"))
    assert renamed.label == "Sales"


def test_datetime_values_come_back_as_iso(hs):
    deal = hs.sdk().crm.deals.basic_api.create(DealCreate(properties={"dealname": "T", "closedate": "1767225600000"}))
    assert deal.properties["closedate"] == "2026-01-01T00:00:00.000Z"


def test_property_batch_create_is_all_or_nothing(hs):
    from hubspot.crm.properties import BatchInputPropertyCreate
    spec = {"label": "x", "type": "string", "fieldType": "text", "groupName": "contactinformation"}
    with pytest.raises(PropertiesApiException) as conflict:
        hs.sdk().crm.properties.batch_api.create("contacts", BatchInputPropertyCreate(inputs=[
            {**spec, "name": "brand_new"}, {**spec, "name": "email"}]))
    assert conflict.value.status == 409
    names = {p.name for p in hs.sdk().crm.properties.core_api.get_all("contacts").results}
    assert "brand_new" not in names


def test_remaining_pipeline_stage_and_group_calls(hs):
    from hubspot.crm.pipelines import PipelineStagePatchInput
    from hubspot.crm.properties import BatchInputPropertyName, BatchReadInputPropertyName, PropertyGroupUpdate
    pipelines = hs.sdk().crm.pipelines
    pipeline = pipelines.pipelines_api.create("deals", PipelineInput(label="P", display_order=2, stages=[
        PipelineStageInput(label="A", display_order=0, metadata={"probability": "0.5"})]))
    stage_id = pipeline.stages[0].id
    assert pipelines.pipeline_stages_api.get_by_id("deals", pipeline.id, stage_id).label == "A"
    moved = pipelines.pipeline_stages_api.update("deals", pipeline.id, stage_id, PipelineStagePatchInput(
        label="B", metadata={"probability": "0.7"}))
    assert moved.label == "B" and moved.metadata["probability"] == "0.7"
    replaced = pipelines.pipelines_api.replace("deals", pipeline.id, PipelineInput(label="Q", display_order=2, stages=[
        PipelineStageInput(label="C", display_order=0, metadata={"probability": "1.0"})]))
    assert replaced.id == pipeline.id and [s.label for s in replaced.stages] == ["C"]
    pipelines.pipeline_stages_api.archive("deals", pipeline.id, replaced.stages[0].id)
    assert pipelines.pipeline_stages_api.get_all("deals", pipeline.id).results == []
    pipelines.pipelines_api.archive("deals", pipeline.id)
    with pytest.raises(PipelinesApiException) as gone:
        pipelines.pipelines_api.get_by_id("deals", pipeline.id)
    assert gone.value.status == 404

    props = hs.sdk().crm.properties
    props.groups_api.create("companies", PropertyGroupCreate(name="g1", label="G1", display_order=0))
    assert props.groups_api.update("companies", "g1", PropertyGroupUpdate(label="G2")).label == "G2"
    assert props.groups_api.get_by_name("companies", "g1").label == "G2"
    props.core_api.create("companies", PropertyCreate(name="p1", label="P1", type="number", field_type="number",
                                                      group_name="g1"))
    read = props.batch_api.read("companies", BatchReadInputPropertyName(inputs=[{"name": "p1"}, {"name": "name"}],
                                                                        archived=False))
    assert {p.name for p in read.results} == {"p1", "name"}
    props.batch_api.archive("companies", BatchInputPropertyName(inputs=[{"name": "p1"}]))
    props.groups_api.archive("companies", "g1")
    with pytest.raises(PropertiesApiException) as missing:
        props.groups_api.get_by_name("companies", "g1")
    assert missing.value.status == 404


def test_unknown_path_is_a_json_404(hs):
    import requests
    answer = requests.get(f"{hs.url}/crm/v3/nothing/here", headers=hs.headers(), timeout=5)
    assert answer.status_code == 404 and answer.json()["category"] == "OBJECT_NOT_FOUND"
