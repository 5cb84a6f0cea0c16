"""Pure webhook rules: event identity, lifecycle precedence, link states, the re-creation contract."""
import json

import pytest

from hubspot_app.domain.store_settings import StoreSettings
from hubspot_app.domain.webhook_rules import VANISHED, may_recreate
from hubspot_app.webhooks.events import MalformedDelivery, parse_delivery, parse_event
from hubspot_app.webhooks.facts import lifecycle_wins
from hubspot_app.webhooks.handlers import handle_deal_stage, handle_email_change, handler_for
from hubspot_app.webhooks.links import link_state_for

BASE = {"eventId": 1, "subscriptionId": 7, "portalId": 1, "appId": 9, "occurredAt": 100,
        "subscriptionType": "contact.deletion", "attemptNumber": 0, "objectId": 5}


def test_retry_has_the_same_key_and_other_facts_do_not():
    key = parse_event(BASE).dedupe_key()
    assert parse_event(dict(BASE, attemptNumber=4)).dedupe_key() == key
    for change in ({"objectId": 6}, {"occurredAt": 101}, {"subscriptionId": 8}, {"portalId": 2},
                   {"subscriptionType": "contact.restore"}):
        assert parse_event(dict(BASE, **change)).dedupe_key() != key


def test_property_changes_with_other_values_are_distinct():
    change = dict(BASE, subscriptionType="contact.propertyChange", propertyName="email", propertyValue="a@x.fr")
    assert parse_event(change).dedupe_key() != parse_event(dict(change, propertyValue="b@x.fr")).dedupe_key()


def test_handled_types_legacy_generic_and_event_type_alias():
    assert handler_for(parse_event(BASE))
    assert handler_for(parse_event(dict(BASE, subscriptionType="object.merge", objectTypeId="0-1")))
    assert handler_for(parse_event({k: v for k, v in BASE.items() if k != "subscriptionType"} | {"eventType": "deal.deletion"}))
    assert handler_for(parse_event(dict(BASE, subscriptionType="contact.creation"))) is None
    assert handler_for(parse_event(dict(BASE, subscriptionType="contact.propertyChange", propertyName="firstname"))) is None
    assert handler_for(parse_event(dict(BASE, subscriptionType="ticket.deletion"))) is None


def test_a_property_change_picks_its_handler_by_property_from_the_one_registry():
    change = dict(BASE, subscriptionType="contact.propertyChange", propertyName="email")
    assert handler_for(parse_event(change)) is handle_email_change
    stage = dict(BASE, subscriptionType="deal.propertyChange", propertyName="dealstage")
    assert handler_for(parse_event(stage)) is handle_deal_stage
    assert handler_for(parse_event(dict(stage, propertyName="amount"))) is None


@pytest.mark.parametrize("body", [b"not json", b'{"a": 1}', b"\xff\xfe"])
def test_malformed_deliveries(body):
    with pytest.raises(MalformedDelivery):
        parse_delivery(body)


def test_unreadable_events_are_counted_not_fatal():
    events, failed = parse_delivery(json.dumps([1, {"portalId": "x", "occurredAt": 1}, BASE]).encode())
    assert [f.position for f in failed] == [0, 1] and [e.object_id for e in events] == ["5"]


@pytest.mark.parametrize("current,current_at,new,new_at,wins", [
    ("live", 100, "deleted", 200, True),
    ("deleted", 200, "live", 100, False),
    ("live", 100, "deleted", 100, True),       # same instant: the stronger fact wins, whatever the order
    ("deleted", 100, "live", 100, False),
    ("privacy_deleted", 100, "live", 500, False),
    ("merged", 100, "deleted", 500, False),
    ("merged", 100, "privacy_deleted", 50, True),
    ("live", 500, "merged", 100, True),
])
def test_lifecycle_precedence(current, current_at, new, new_at, wins):
    assert lifecycle_wins(current, current_at, new, new_at) is wins


@pytest.mark.parametrize("current,lifecycle,expected", [
    ("synced", "deleted", "deleted_in_hubspot"),
    ("deleted_in_hubspot", "live", "synced"),
    ("synced", "privacy_deleted", "privacy_deleted"),
    ("privacy_deleted", "live", "privacy_deleted"),
    ("archived", "deleted", "archived"),
    # The reconcile found it missing; the deletion's webhook came late: a deletion we heard of, the contract's.
    ("vanished", "deleted", "deleted_in_hubspot"),
    ("vanished", "live", "synced"),  # restored in HubSpot before the reconcile's re-create went through
])
def test_link_states(current, lifecycle, expected):
    assert link_state_for(current, lifecycle) == expected


def test_recreation_contract():
    assert not may_recreate("privacy_deleted", "contact", StoreSettings(), moulin_changed=True)
    assert not may_recreate("deleted_in_hubspot", "contact", StoreSettings(), moulin_changed=False)
    assert may_recreate("deleted_in_hubspot", "contact", StoreSettings(), moulin_changed=True)
    assert not may_recreate("deleted_in_hubspot", "deal", StoreSettings(), moulin_changed=True)
    assert may_recreate("deleted_in_hubspot", "deal", StoreSettings(recreate_deleted_deals=True), moulin_changed=True)
    assert may_recreate("deleted_in_hubspot", "product", StoreSettings(), moulin_changed=False)
    assert may_recreate("synced", "deal", StoreSettings(), moulin_changed=False)
    # found missing by the reconcile, no webhook: the reconcile's heal, whatever the store's setting
    assert may_recreate(VANISHED, "deal", StoreSettings(), moulin_changed=False)
    assert may_recreate(VANISHED, "order", StoreSettings(), moulin_changed=False)
