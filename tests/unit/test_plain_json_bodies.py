"""Bodies the CRM gateway builds as plain JSON go to the SDK's encoder as they are; SDK models are still
turned into JSON by the SDK's own walk (`hubspot_app.hubspot.plain_json`)."""
import json
from datetime import datetime, timezone

import hubspot
from hubspot.crm.properties import models as prop_models

from hubspot_app.hubspot.plain_json import PlainJson, plain_json_api_factory


def _api_client():
    client = hubspot.Client.create(access_token="t", api_factory=plain_json_api_factory)
    return client.crm.associations.v4.batch_api.api_client


def test_a_plain_json_body_is_not_walked_again():
    body = PlainJson(inputs=[{"from": {"id": "1"}, "to": {"id": "2"},
                              "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}]}])
    sent = _api_client().sanitize_for_serialization(body)
    assert sent is body  # the walk would have built new dicts and lists
    assert json.loads(json.dumps(sent)) == body


def test_sdk_models_and_dates_in_other_bodies_are_still_turned_into_json():
    api_client = _api_client()
    group = prop_models.PropertyGroupCreate(name="moulin", label="Moulin", display_order=-1)
    assert api_client.sanitize_for_serialization(group) == {"name": "moulin", "label": "Moulin", "displayOrder": -1}
    at = datetime(2026, 12, 1, tzinfo=timezone.utc)
    assert api_client.sanitize_for_serialization({"at": at, "inner": [group]}) == {
        "at": at.isoformat(), "inner": [{"name": "moulin", "label": "Moulin", "displayOrder": -1}]}


def test_the_factory_keeps_the_sdk_configuration():
    client = hubspot.Client.create(access_token="t", host="http://127.0.0.1:1", api_factory=plain_json_api_factory)
    api = client.crm.objects.batch_api
    assert api.api_client.configuration.host == "http://127.0.0.1:1"
    assert api.api_client.configuration.access_token == "t"
    assert api.api_client.user_agent.startswith("hubspot-api-client-python")
