"""Events the sandbox emits for API calls and simulated user actions, and contact merges."""
from __future__ import annotations

import pytest
import requests
from hubspot.crm.contacts import PublicMergeInput, SimplePublicObjectInput, SimplePublicObjectInputForCreate

from sandbox.hubspot.schema import object_type
from sandbox.hubspot.testing import install_portal


@pytest.fixture
def hs(sandbox):
    portal = install_portal(*sandbox)
    events: list[dict] = []
    # The bus is shared by every portal of this sandbox: keep this test's portal only.
    unsubscribe = portal.state.events.subscribe(
        lambda event: events.append(event) if event["portalId"] == portal.portal_id else None)
    portal.events = events
    yield portal
    unsubscribe()


def kinds(events: list[dict]) -> list[str]:
    return [e["subscriptionType"] for e in events]


def test_create_update_delete_events_from_the_api(hs):
    api = hs.sdk().crm.contacts.basic_api
    contact = api.create(SimplePublicObjectInputForCreate(properties={"email": "e@x.test"}))
    api.update(contact.id, SimplePublicObjectInput(properties={"firstname": "Eve", "email": "e@x.test"}))
    api.archive(contact.id)
    assert kinds(hs.events) == ["contact.creation", "contact.propertyChange", "contact.propertyChange",
                                "contact.deletion"]
    creation, _, change, deletion = hs.events
    assert creation == {"portalId": hs.portal_id, "occurredAt": creation["occurredAt"],
                        "subscriptionType": "contact.creation", "objectTypeId": "0-1",
                        "objectId": int(contact.id), "changeFlag": "CREATED", "changeSource": "INTEGRATION",
                        "sourceId": str(hs.state.app_id)}
    assert "changeFlag" not in change and deletion["changeFlag"] == "DELETED"
    assert change["propertyName"] == "firstname" and change["propertyValue"] == "Eve"
    assert abs(deletion["occurredAt"] - hs.state.clock.now() * 1000) < 5000


def test_user_actions_are_crm_ui_events(hs):
    state = hs.state
    deal = state.user_create(hs.portal_id, "deals", {"dealname": "D"})
    state.user_update(hs.portal_id, "deals", deal.id, {"amount": "12"})
    state.user_delete(hs.portal_id, "deals", deal.id)
    state.user_restore(hs.portal_id, "deals", deal.id)
    assert kinds(hs.events)[-3:] == ["deal.propertyChange", "deal.deletion", "deal.restore"]
    assert {e["changeSource"] for e in hs.events} == {"CRM_UI"}
    assert {e["sourceId"] for e in hs.events} == {"userId:1"}
    contact = state.user_create(hs.portal_id, "contacts", {"email": "gdpr@x.test"})
    state.user_privacy_delete_contact(hs.portal_id, contact.id)
    assert hs.events[-1]["subscriptionType"] == "contact.privacyDeletion"
    assert contact.id not in state.objects(hs.portal_id, "contacts")


def test_admin_endpoints_drive_user_actions(hs):
    url = f"{hs.url}/_sandbox/portals/{hs.portal_id}/objects/products"
    created = requests.post(url, json={"properties": {"name": "Bread"}}, timeout=5).json()
    assert requests.patch(f"{url}/{created['id']}", json={"properties": {"price": "2"}}, timeout=5).ok
    assert requests.delete(f"{url}/{created['id']}", timeout=5).status_code == 204
    restored = requests.post(f"{url}/{created['id']}/restore", timeout=5)
    assert restored.status_code == 200 and restored.json()["archived"] is False
    assert kinds(hs.events) == ["product.creation", "product.propertyChange", "product.propertyChange",
                                "product.deletion", "product.restore"]
    merge_url = f"{hs.url}/_sandbox/portals/{hs.portal_id}/objects/companies"
    a = requests.post(merge_url, json={"properties": {"name": "A"}}, timeout=5).json()["id"]
    b = requests.post(merge_url, json={"properties": {"name": "B"}}, timeout=5).json()["id"]
    merged = requests.post(f"{merge_url}/merge", json={"primaryObjectId": a, "objectIdToMerge": b}, timeout=5)
    assert merged.json()["id"] == a and hs.events[-1]["subscriptionType"] == "company.merge"
    contact = requests.post(f"{hs.url}/_sandbox/portals/{hs.portal_id}/objects/contacts",
                            json={"properties": {"email": "p@d.test"}}, timeout=5).json()["id"]
    gone = requests.post(f"{hs.url}/_sandbox/portals/{hs.portal_id}/contacts/{contact}/privacy-delete", timeout=5)
    assert gone.status_code == 204 and hs.events[-1]["subscriptionType"] == "contact.privacyDeletion"
    listed = requests.get(f"{hs.url}/_sandbox/portals/{hs.portal_id}/objects/companies", timeout=5).json()
    assert [r["id"] for r in listed["results"]] == [a]
    moved = requests.post(f"{hs.url}/_sandbox/clock/advance", json={"seconds": 3600}, timeout=5).json()
    assert moved["now"] == pytest.approx(hs.state.clock.now(), abs=5)


def test_contact_merge_gives_a_new_id_and_old_ids_read_as_the_survivor(hs):
    contacts = hs.sdk().crm.contacts
    primary = contacts.basic_api.create(SimplePublicObjectInputForCreate(properties={"email": "p@x.test",
                                                                                     "firstname": "P"}))
    other = contacts.basic_api.create(SimplePublicObjectInputForCreate(properties={"email": "o@x.test",
                                                                                   "lastname": "O"}))
    merged = contacts.basic_api.merge(PublicMergeInput(primary_object_id=primary.id, object_id_to_merge=other.id))
    assert merged.id not in (primary.id, other.id)
    assert merged.properties["firstname"] == "P" and merged.properties["lastname"] == "O"
    for old in (primary.id, other.id):
        assert contacts.basic_api.get_by_id(old).id == merged.id
    event = hs.events[-1]
    assert event["subscriptionType"] == "contact.merge"
    assert event["primaryObjectId"] == int(primary.id) and event["mergedObjectIds"] == [int(other.id)]
    assert event["newObjectId"] == int(merged.id) and event["numberOfPropertiesMoved"] >= 1


def test_user_merge_moves_associations(hs):
    state = hs.state
    a = state.user_create(hs.portal_id, "contacts", {"email": "a@m.test"})
    b = state.user_create(hs.portal_id, "contacts", {"email": "b@m.test"})
    deal = state.user_create(hs.portal_id, "deals", {"dealname": "D"})
    state.crm(hs.portal_id).associate(object_type("deals"), deal.id, object_type("contacts"), b.id, 3)
    survivor = state.user_merge_contacts(hs.portal_id, a.id, b.id)
    assert hs.events[-1]["changeSource"] == "CRM_UI"
    links = state.portal(hs.portal_id).associations.targets("deals", deal.id, "contacts")
    assert list(links) == [survivor.id]
    assert hs.events[-1]["subscriptionType"] == "contact.merge"


def test_association_changes_emit_both_directions(hs):
    state = hs.state
    contact = state.user_create(hs.portal_id, "contacts", {"email": "c@a.test"})
    company = state.user_create(hs.portal_id, "companies", {"name": "Co"})
    hs.events.clear()
    requests.put(f"{hs.url}/crm/v4/objects/contacts/{contact.id}/associations/default/companies/{company.id}",
                 headers=hs.headers(), timeout=5).raise_for_status()
    assert sorted((e["subscriptionType"], e["associationType"]) for e in hs.events) == [
        ("company.associationChange", "COMPANY_TO_CONTACT"), ("contact.associationChange", "CONTACT_TO_COMPANY")]
    assert all(e["associationRemoved"] is False for e in hs.events)
