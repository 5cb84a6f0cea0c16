"""Strict mode (the default, which the whole suite runs in): the sandbox refuses what HubSpot refuses, and where
HubSpot's docs are silent it refuses rather than guessing, so the app cannot come to rely on leniency."""
from __future__ import annotations

import json

import pytest
import requests
from hubspot.crm.associations.v4 import ApiException as AssociationsApiException
from hubspot.crm.contacts import ApiException as ContactsApiException
from hubspot.crm.contacts import PublicObjectSearchRequest

from sandbox.hubspot import SandboxState
from sandbox.hubspot.schema import object_type
from sandbox.hubspot.testing import sandbox_portal


def make(hs, type_name: str, properties: dict) -> str:
    return hs.state.crm(hs.portal_id).create(object_type(type_name), {"properties": properties}).id


def search_on(hs, name: str):
    request = PublicObjectSearchRequest(filter_groups=[{"filters": [
        {"propertyName": name, "operator": "EQ", "value": "x"}]}])
    return hs.sdk().crm.contacts.search_api.do_search(public_object_search_request=request)


def test_the_suite_runs_strict():
    assert SandboxState().strict is True


def test_a_search_on_a_missing_property_is_refused_in_strict_mode_only(hs):
    with pytest.raises(ContactsApiException) as refused:
        search_on(hs, "moulin_no_such_property")
    assert refused.value.status == 400 and "moulin_no_such_property" in json.loads(refused.value.body)["message"]
    assert search_on(hs, "firstname").total == 0  # an existing property is fine
    with sandbox_portal(strict=False) as lenient:
        assert search_on(lenient, "moulin_no_such_property").total == 0


@pytest.mark.parametrize("value", ["nan", "inf", "1_000", "12,5"])
def test_numbers_must_be_decimal_numerals(hs, value):
    deals = hs.sdk().crm.deals.basic_api
    from hubspot.crm.deals import ApiException, SimplePublicObjectInputForCreate
    with pytest.raises(ApiException) as refused:
        deals.create(SimplePublicObjectInputForCreate(properties={"dealname": "N", "amount": value}))
    assert refused.value.status == 400 and "INVALID_NUMBER" in json.loads(refused.value.body)["message"]


def test_a_per_record_association_needs_a_known_hubspot_defined_type(hs):
    deal, contact = make(hs, "deals", {"dealname": "A"}), make(hs, "contacts", {"email": "a@strict.test"})
    basic = hs.sdk().crm.associations.v4.basic_api
    for spec in ({"associationCategory": "USER_DEFINED", "associationTypeId": 3},
                 {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}):
        with pytest.raises(AssociationsApiException) as refused:
            basic.create("deals", deal, "contacts", contact, [spec])
        assert refused.value.status == 400
    assert basic.get_page("deals", deal, "contacts").results == []


def test_search_paging_values_that_are_not_integers_are_a_400_not_a_500(hs):
    answer = requests.post(f"{hs.url}/crm/v3/objects/contacts/search", json={"limit": "ten"}, headers=hs.headers(),
                           timeout=5)
    assert answer.status_code == 400 and "limit" in answer.json()["message"]
