"""The CRM gateway's search against the HubSpot sandbox: a long IN list, split to stay inside HubSpot's limits,
finds every record; enumeration filters must name stored option ids."""
import pytest

from hubspot_app.hubspot.crm import CrmGateway
from hubspot_app.domain.limits import OBJECT_BATCH
from hubspot_app.hubspot.ratelimit import InProcessLimiter
from sandbox.hubspot.schema import object_type
from sandbox.hubspot.testing import sandbox_portal


@pytest.fixture
def portal():
    with sandbox_portal() as hs:
        yield hs


def gateway(hs) -> CrmGateway:
    return CrmGateway(hs.portal_id, lambda _portal: hs.access_token, host=hs.url,
                      limiter=InProcessLimiter(100, 10.0), sleep=lambda _s: None)


def test_a_long_in_list_finds_every_record(portal):
    crm = portal.state.crm(portal.portal_id)
    emails = [f"customer-{n:04d}@moulin.example" for n in range(400)]
    for email in emails[:300]:
        crm.create(object_type("contacts"), {"properties": {"email": email, "firstname": "C"}})
    before = portal.state.request_log.count(path_prefix="/crm/v3/objects/contacts/search")
    rows = gateway(portal).search("contacts", [{"propertyName": "firstname", "operator": "EQ", "value": "C"},
                                               {"propertyName": "email", "operator": "IN", "values": emails}],
                                  ["email"])
    assert sorted(r["email"] for r in rows) == emails[:300]
    assert len({r["hs_object_id"] for r in rows}) == 300
    # One request would have been refused (over 3,000 characters); several were sent, each accepted.
    sent = portal.state.request_log.count(path_prefix="/crm/v3/objects/contacts/search") - before
    assert sent > 1


def test_enumeration_filters_must_name_stored_ids(portal):
    crm = portal.state.crm(portal.portal_id)
    deal = crm.create(object_type("deals"), {"properties": {"dealname": "D", "pipeline": "default",
                                                            "dealstage": "appointmentscheduled"}}).id
    search = gateway(portal).search
    found = search("deals", [{"propertyName": "dealstage", "operator": "EQ", "value": "appointmentscheduled"}],
                   ["dealname"])
    assert [r["hs_object_id"] for r in found] == [deal]
    with pytest.raises(ValueError, match="dealstage"):
        search("deals", [{"propertyName": "dealstage", "operator": "EQ", "value": "APPOINTMENTSCHEDULED"}], [])
    with pytest.raises(ValueError, match="lifecyclestage"):
        search("contacts", [{"propertyName": "lifecyclestage", "operator": "IN", "values": ["Customer"]}], [])


def test_a_batch_longer_than_hubspots_limit_is_sent_in_several_calls(portal):
    crm = portal.state.crm(portal.portal_id)
    ids = [crm.create(object_type("contacts"), {"properties": {"email": f"c{n}@moulin.example"}}).id
           for n in range(OBJECT_BATCH + 50)]
    before = portal.state.request_log.count(path_prefix="/crm/v3/objects/contacts/batch/archive")
    gateway(portal).archive("contacts", ids)
    assert portal.state.request_log.count(path_prefix="/crm/v3/objects/contacts/batch/archive") - before == 2
    assert gateway(portal).read("contacts", ids, ["email"]) == {}  # every one archived, none refused
