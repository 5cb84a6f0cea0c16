"""CRM objects v3 through the official SDK (strict mode) against the HubSpot sandbox over loopback HTTP."""
from __future__ import annotations

import json

import pytest
from hubspot.crm.contacts import ApiException as ContactsApiException
from hubspot.crm.contacts import (BatchInputSimplePublicObjectBatchInput,
                                  BatchInputSimplePublicObjectBatchInputForCreate,
                                  BatchInputSimplePublicObjectBatchInputUpsert, BatchInputSimplePublicObjectId,
                                  BatchReadInputSimplePublicObjectId, SimplePublicObjectInput,
                                  PublicMergeInput, SimplePublicObjectInputForCreate)
from hubspot.crm.companies import SimplePublicObjectInputForCreate as CompanyCreate
from hubspot.crm.contacts.exceptions import NotFoundException



def test_basic_create_get_update_archive(hs):
    api = hs.sdk().crm.contacts.basic_api
    created = api.create(SimplePublicObjectInputForCreate(properties={"email": "Ann@Example.com",
                                                                      "firstname": "Ann"}))
    assert created.id and created.properties["email"] == "ann@example.com"
    assert created.created_at is not None and created.archived is False

    read = api.get_by_id(created.id, properties=["email", "firstname", "phone"])
    assert read.properties == {"email": "ann@example.com", "firstname": "Ann", "phone": None}
    defaults = api.get_by_id(created.id)
    assert set(defaults.properties) == {"createdate", "email", "firstname", "hs_object_id", "lastmodifieddate",
                                        "lastname"}
    by_email = api.get_by_id("ann@example.com", id_property="email")
    assert by_email.id == created.id

    updated = api.update(created.id, SimplePublicObjectInput(properties={"lastname": "Lee"}))
    assert updated.properties["lastname"] == "Lee"

    api.archive(created.id)
    with pytest.raises(NotFoundException):
        api.get_by_id(created.id)
    assert hs.state.objects(hs.portal_id, "contacts")[created.id].archived is True


def test_list_pages_with_after(hs):
    api = hs.sdk().crm.companies.basic_api
    for i in range(5):
        api.create(CompanyCreate(properties={"name": f"Co {i}", "domain": f"co{i}.test"}))
    page = api.get_page(limit=2, properties=["name"])
    names = [r.properties["name"] for r in page.results]
    while page.paging is not None:
        page = api.get_page(limit=2, after=page.paging.next.after, properties=["name"])
        names += [r.properties["name"] for r in page.results]
    assert names == [f"Co {i}" for i in range(5)]


def test_duplicate_email_and_unknown_property_errors(hs):
    api = hs.sdk().crm.contacts.basic_api
    first = api.create(SimplePublicObjectInputForCreate(properties={"email": "dup@example.com"}))
    with pytest.raises(ContactsApiException) as conflict:
        api.create(SimplePublicObjectInputForCreate(properties={"email": "DUP@example.com"}))
    assert conflict.value.status == 409
    assert json.loads(conflict.value.body)["message"] == f"Contact already exists. Existing ID: {first.id}"
    with pytest.raises(ContactsApiException) as unknown:
        api.create(SimplePublicObjectInputForCreate(properties={"shoe_size": "42"}))
    body = json.loads(unknown.value.body)
    assert unknown.value.status == 400 and body["category"] == "VALIDATION_ERROR"
    assert "PROPERTY_DOESNT_EXIST" in body["message"]


def test_batch_create_read_update_upsert_archive(hs):
    batch = hs.sdk().crm.contacts.batch_api
    created = batch.create(BatchInputSimplePublicObjectBatchInputForCreate(inputs=[
        {"properties": {"email": f"c{i}@example.com", "firstname": f"C{i}"}} for i in range(3)]))
    assert created.status == "COMPLETE" and len(created.results) == 3
    ids = sorted(r.id for r in created.results)

    read = batch.read(BatchReadInputSimplePublicObjectId(inputs=[{"id": i} for i in ids], properties=["email"]))
    assert sorted(r.id for r in read.results) == ids

    by_email = batch.read(BatchReadInputSimplePublicObjectId(
        inputs=[{"id": "c1@example.com"}, {"id": "nobody@example.com"}], properties=["email"], id_property="email"))
    assert [r.properties["email"] for r in by_email.results] == ["c1@example.com"]
    assert by_email.errors[0].category == "OBJECT_NOT_FOUND"

    updated = batch.update(BatchInputSimplePublicObjectBatchInput(inputs=[
        {"id": ids[0], "properties": {"lastname": "Zed"}}]))
    assert updated.results[0].properties["lastname"] == "Zed"

    upserted = batch.upsert(BatchInputSimplePublicObjectBatchInputUpsert(inputs=[
        {"idProperty": "email", "id": "c2@example.com", "properties": {"lastname": "Known"}},
        {"idProperty": "email", "id": "new@example.com", "properties": {"firstname": "New"}}]))
    outcome = {r.properties["email"]: r.new for r in upserted.results}
    assert outcome == {"c2@example.com": False, "new@example.com": True}

    batch.archive(BatchInputSimplePublicObjectId(inputs=[{"id": i} for i in ids]))
    live = [r for r in hs.state.objects(hs.portal_id, "contacts").values() if not r.archived]
    assert [r.properties["email"] for r in live] == ["new@example.com"]


def test_batch_create_reports_per_input_errors_with_trace_ids(hs):
    batch = hs.sdk().crm.contacts.batch_api
    hs.sdk().crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(properties={"email": "x@example.com"}))
    answer = batch.create(BatchInputSimplePublicObjectBatchInputForCreate(inputs=[
        {"properties": {"email": "y@example.com"}, "objectWriteTraceId": "t1"},
        {"properties": {"email": "x@example.com"}, "objectWriteTraceId": "t2"}]))
    assert type(answer).__name__ == "BatchResponseSimplePublicObjectWithErrors"
    assert [r.properties["email"] for r in answer.results] == ["y@example.com"]
    assert answer.num_errors == 1 and answer.errors[0].category == "CONFLICT"
    assert answer.errors[0].context["objectWriteTraceId"] == ["t2"]


def test_batch_limits_and_duplicate_ids(hs):
    batch = hs.sdk().crm.contacts.batch_api
    with pytest.raises(ContactsApiException) as too_many:
        batch.create(BatchInputSimplePublicObjectBatchInputForCreate(inputs=[
            {"properties": {"firstname": str(i)}} for i in range(101)]))
    assert too_many.value.status == 400
    with pytest.raises(ContactsApiException) as duplicate:
        batch.read(BatchReadInputSimplePublicObjectId(inputs=[{"id": "1"}, {"id": "1"}], properties=[]))
    body = json.loads(duplicate.value.body)
    assert body["message"] == "Duplicate IDs found in batch input: [1]. IDs must be unique"
    assert body["context"] == {"ids": ["1"]}
    # Without trace ids one bad input fails the whole call and nothing is written.
    with pytest.raises(ContactsApiException):
        batch.create(BatchInputSimplePublicObjectBatchInputForCreate(inputs=[
            {"properties": {"email": "ok@example.com"}}, {"properties": {"nope": "1"}}]))
    assert hs.state.objects(hs.portal_id, "contacts") == {}


def test_invalid_email_is_rejected(hs):
    api = hs.sdk().crm.contacts.basic_api
    with pytest.raises(ContactsApiException) as invalid:
        api.create(SimplePublicObjectInputForCreate(properties={"email": "not-an-email"}))
    body = json.loads(invalid.value.body)
    assert invalid.value.status == 400 and "INVALID_EMAIL" in body["message"]
    assert "Email address not-an-email is invalid" in body["message"]


def test_upsert_by_email_is_all_or_nothing_and_echoes_trace_ids(hs):
    batch = hs.sdk().crm.contacts.batch_api
    with pytest.raises(ContactsApiException):
        batch.upsert(BatchInputSimplePublicObjectBatchInputUpsert(inputs=[
            {"idProperty": "email", "id": "fine@example.com", "properties": {}, "objectWriteTraceId": "a"},
            {"idProperty": "email", "id": "bad@example.com", "properties": {"nope": "1"},
             "objectWriteTraceId": "b"}]))
    assert hs.state.objects(hs.portal_id, "contacts") == {}
    done = batch.upsert(BatchInputSimplePublicObjectBatchInputUpsert(inputs=[
        {"idProperty": "email", "id": "fine@example.com", "properties": {}, "objectWriteTraceId": "a"}]))
    assert done.results[0].object_write_trace_id == "a" and done.results[0].new is True


def test_merged_contact_is_found_by_either_email(hs):
    api = hs.sdk().crm.contacts.basic_api
    a = api.create(SimplePublicObjectInputForCreate(properties={"email": "one@example.com"}))
    b = api.create(SimplePublicObjectInputForCreate(properties={"email": "two@example.com"}))
    merged = api.merge(PublicMergeInput(primary_object_id=a.id, object_id_to_merge=b.id))
    assert api.get_by_id("two@example.com", id_property="email").id == merged.id
    with pytest.raises(ContactsApiException) as conflict:
        api.create(SimplePublicObjectInputForCreate(properties={"email": "two@example.com"}))
    assert conflict.value.status == 409


def test_orders_through_the_generic_objects_api(hs):
    from hubspot.crm.objects import SimplePublicObjectInputForCreate as ObjectCreate
    objects = hs.sdk().crm.objects.basic_api
    order = objects.create("order", ObjectCreate(properties={"hs_order_name": "#1001", "hs_currency_code": "EUR",
                                                             "hs_external_order_id": "M-1001"}))
    read = objects.get_by_id("order", order.id, properties=["hs_order_name", "hs_external_order_id"])
    assert read.properties == {"hs_order_name": "#1001", "hs_external_order_id": "M-1001"}


def test_date_versioned_object_paths_serve_the_same_records(hs):
    # /crm/objects/2026-03/{objectType} replaces /crm/v3/objects/{objectType} with the same contract
    # (developers.hubspot.com/docs/api-reference/latest/crm/using-object-apis).
    import requests
    base, v3 = f"{hs.url}/crm/objects/2026-03/companies", f"{hs.url}/crm/v3/objects/companies"
    created = requests.post(base, json={"properties": {"name": "Dated"}}, headers=hs.headers(), timeout=5)
    assert created.status_code == 201
    company = created.json()["id"]
    assert requests.get(f"{v3}/{company}", headers=hs.headers(), timeout=5).json()["properties"]["name"] == "Dated"
    patched = requests.patch(f"{base}/{company}", json={"properties": {"name": "Renamed"}}, headers=hs.headers(),
                             timeout=5)
    assert patched.status_code == 200 and patched.json()["properties"]["name"] == "Renamed"
    read = requests.post(f"{base}/batch/read", json={"inputs": [{"id": company}], "properties": ["name"]},
                         headers=hs.headers(), timeout=5)
    assert read.status_code == 200 and read.json()["results"][0]["id"] == company
    found = requests.post(f"{base}/search", json={"filterGroups": [{"filters": [
        {"propertyName": "name", "operator": "EQ", "value": "Renamed"}]}]}, headers=hs.headers(), timeout=5)
    assert found.status_code == 200 and found.json()["total"] == 1
    assert requests.delete(f"{base}/{company}", headers=hs.headers(), timeout=5).status_code == 204
    assert requests.get(f"{v3}/{company}", headers=hs.headers(), timeout=5).status_code == 404
