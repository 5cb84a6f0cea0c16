"""Pure parts of the HubSpot sandbox: search matching, rate windows, faults, OAuth grants, association graph."""
from __future__ import annotations

import pytest

from sandbox.hubspot import search
from sandbox.hubspot.associations import AssociationGraph
from sandbox.hubspot.errors import HubSpotError
from sandbox.hubspot.faults import Faults
from sandbox.hubspot.oauth import OAuthError, OAuthServer
from sandbox.hubspot.portal import Record
from sandbox.hubspot.ratelimit import RollingWindowLimiter, parse_rate


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def record(object_id: str, **properties) -> Record:
    return Record(object_id, {k: str(v) for k, v in properties.items()}, 0.0, 0.0)


@pytest.mark.parametrize("operator,value,expected", [
    ("EQ", "LEE", True), ("NEQ", "lee", False), ("CONTAINS_TOKEN", "le*", True), ("HAS_PROPERTY", None, True),
    ("NOT_HAS_PROPERTY", None, False), ("LT", "m", True), ("GT", "m", False),
])
def test_filter_operators_on_strings(operator, value, expected):
    assert search.matches(record("1", lastname="Lee"), {"propertyName": "lastname", "operator": operator,
                                                        "value": value}) is expected


def test_numbers_and_dates_compare_as_numbers():
    rec = record("1", amount="9", closedate="2026-01-02T00:00:00Z")
    assert search.matches(rec, {"propertyName": "amount", "operator": "LT", "value": "10"})
    assert search.matches(rec, {"propertyName": "closedate", "operator": "GT", "value": "1767225600000"})
    assert search.matches(rec, {"propertyName": "amount", "operator": "BETWEEN", "value": "1", "highValue": "9"})
    assert search.matches(rec, {"propertyName": "amount", "operator": "NOT_IN", "values": ["1", "2"]})


def test_search_limits_follow_hubspot():
    group = {"filters": [{"propertyName": "a", "operator": "HAS_PROPERTY"}] * 6}
    search.check_request({"filterGroups": [group, group, group]})  # 18 filters, 6 per group
    with pytest.raises(HubSpotError):
        search.check_request({"filterGroups": [group] * 3 + [{"filters": group["filters"][:1]}]})  # 19 > 18
    with pytest.raises(HubSpotError):
        search.check_request({"filterGroups": [{"filters": group["filters"] + group["filters"][:1]}]})  # 7 > 6
    with pytest.raises(HubSpotError):
        search.check_request({"after": "9950", "limit": 100})


def test_search_sorts_and_pages():
    records = [record(str(i), n=str(10 - i)) for i in range(1, 6)]
    page, total, after = search.run(records, {"sorts": ["n"], "limit": 2})
    assert [r.id for r in page] == ["5", "4"] and total == 5 and after == "2"


def test_rolling_window():
    clock = FakeClock()
    limiter = RollingWindowLimiter(2, 10.0, clock)
    assert limiter.hit("p").allowed and limiter.hit("p").remaining == 0
    assert not limiter.hit("p").allowed and limiter.hit("q").allowed
    clock.t += 10.0
    assert limiter.hit("p").allowed
    assert parse_rate("110/10s") == (110, 10.0) and parse_rate("5/1s") == (5, 1.0)


def test_faults_are_seeded_and_queued_first():
    def sequence(seed):
        faults = Faults(0.3, seed)
        return [getattr(faults.next_fault(), "status", None) for _ in range(50)]
    assert sequence(1) == sequence(1) != sequence(2)
    faults = Faults()
    faults.fail_next(1, 500)
    faults.drop_next(1)
    assert [faults.next_fault().kind, faults.next_fault().kind, faults.next_fault()] == ["status", "drop", None]


def test_oauth_codes_are_single_use_and_refresh_token_is_kept():
    clock = FakeClock()
    server = OAuthServer("id", "secret", 1, clock)
    form = {"client_id": "id", "client_secret": "secret", "redirect_uri": "https://a/cb"}
    code = server.issue_code(7, "https://a/cb", ["oauth"])
    tokens = server.exchange_code({**form, "code": code}, lambda _: True)
    with pytest.raises(OAuthError) as reused:
        server.exchange_code({**form, "code": code}, lambda _: True)
    assert reused.value.status == "BAD_AUTH_CODE"
    again = server.refresh({**form, "refresh_token": tokens["refresh_token"]}, lambda _: True)
    assert again["refresh_token"] == tokens["refresh_token"]
    server.uninstall(7)
    with pytest.raises(OAuthError) as dead:
        server.refresh({**form, "refresh_token": tokens["refresh_token"]}, lambda _: True)
    assert dead.value.error == "invalid_grant"


def test_association_graph_is_two_way_with_inverse_type_ids():
    graph = AssociationGraph()
    assert graph.add("contacts", "1", "companies", "2", 1)  # primary also adds the unlabeled 279
    assert graph.targets("contacts", "1", "companies") == {"2": {("HUBSPOT_DEFINED", 1),
                                                                ("HUBSPOT_DEFINED", 279)}}
    assert graph.targets("companies", "2", "contacts") == {"1": {("HUBSPOT_DEFINED", 2),
                                                                ("HUBSPOT_DEFINED", 280)}}
    assert graph.remove("companies", "2", "contacts", "1", {2})
    assert graph.targets("contacts", "1", "companies") == {"2": {("HUBSPOT_DEFINED", 279)}}
    with pytest.raises(HubSpotError):
        graph.add("deals", "1", "contacts", "2", 279)


def test_unique_values_free_up_on_archive_and_clash_on_restore():
    from sandbox.hubspot.schema import object_type
    from sandbox.hubspot.state import SandboxState

    state = SandboxState()
    portal = state.create_portal()
    crm, contacts = state.crm(portal), object_type("contacts")
    first = crm.create(contacts, {"properties": {"email": "same@x.test"}})
    crm.archive(contacts, first.id)
    second = crm.create(contacts, {"properties": {"email": "SAME@x.test"}})
    assert crm.find_by_value(contacts, "email", "same@x.test").id == second.id
    with pytest.raises(HubSpotError) as clash:
        crm.restore(contacts, first.id)
    assert clash.value.http_status == 409
    crm.update(contacts, second.id, {"properties": {"email": "other@x.test"}})
    assert crm.find_by_value(contacts, "email", "same@x.test") is None
    assert crm.restore(contacts, first.id).archived is False


def test_one_primary_company_per_deal():
    graph = AssociationGraph()
    graph.add("deals", "1", "companies", "10", 5)
    graph.add("deals", "1", "companies", "11", 5)
    assert graph.targets("deals", "1", "companies") == {"10": {("HUBSPOT_DEFINED", 341)},
                                                        "11": {("HUBSPOT_DEFINED", 5), ("HUBSPOT_DEFINED", 341)}}
    assert graph.targets("companies", "10", "deals") == {"1": {("HUBSPOT_DEFINED", 342)}}


def test_date_values_are_normalised_like_hubspot():
    from sandbox.hubspot.moments import canonical
    assert canonical("datetime", "1767225600000") == ("2026-01-01T00:00:00.000Z", None)
    assert canonical("datetime", "2026-01-01T01:00:00+01:00") == ("2026-01-01T00:00:00.000Z", None)
    assert canonical("date", "1767225600000") == ("2026-01-01", None)
    assert canonical("date", "2026-01-01") == ("2026-01-01", None)
    value, problem = canonical("date", "1767225600001")
    assert problem == "1767225600001 is at 0:0:0.1 UTC, not midnight!"
    assert canonical("datetime", "tomorrow")[1] is not None


def test_cli_command_is_registered():
    from click.testing import CliRunner

    from hubspot_app.cli import main

    answer = CliRunner().invoke(main, ["sandbox", "hubspot", "--help"])
    assert answer.exit_code == 0
    for option in ("--port", "--auto-approve", "--client-id", "--rate-limit", "--fault-rate", "--seed"):
        assert option in answer.output


def test_unique_property_names_follow_created_and_archived_definitions():
    from sandbox.hubspot.properties import PropertyRegistry

    registry = PropertyRegistry(lambda: 0.0)
    before = registry.unique_names("deals")
    registry.create_many("deals", [{"name": "order_key", "label": "Order", "type": "string", "fieldType": "text",
                                    "groupName": "dealinformation", "hasUniqueValue": True}])
    assert registry.unique_names("deals") == [*before, "order_key"]
    registry.archive("deals", "order_key")
    assert registry.unique_names("deals") == before


def test_association_specs_of_one_pair_are_a_copy():
    graph = AssociationGraph()
    graph.add("deals", "1", "contacts", "2", 3)
    specs = graph.specs("deals", "1", "contacts", "2")
    assert specs == {("HUBSPOT_DEFINED", 3)}
    specs.clear()
    assert graph.specs("contacts", "2", "deals", "1") == {("HUBSPOT_DEFINED", 4)}
    assert graph.specs("deals", "1", "contacts", "9") == set()
