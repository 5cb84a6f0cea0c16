"""The search planner keeps every request inside HubSpot's limits, and loses no value of a long IN list."""
import json

import pytest

from hubspot_app.hubspot.search_plan import SearchTooBig, plan_search

STORE = {"propertyName": "moulin_store", "operator": "EQ", "value": "shop"}
PIPELINE = {"propertyName": "pipeline", "operator": "EQ", "value": "1234567"}


def within_limits(body: dict) -> None:
    groups = body["filterGroups"]
    assert len(groups) <= 5
    assert all(len(g["filters"]) <= 6 for g in groups)
    assert sum(len(g["filters"]) for g in groups) <= 18
    # Room for the `after` cursor of a later page.
    assert len(json.dumps({**body, "after": "1" * 24})) <= 3000


def listed(bodies: list[dict], name: str) -> list[str]:
    return [v for b in bodies for g in b["filterGroups"] for f in g["filters"]
            if f["propertyName"] == name and f["operator"] == "IN" for v in f["values"]]


def test_a_short_search_is_one_request_with_one_group():
    bodies = plan_search([STORE, {"propertyName": "email", "operator": "IN", "values": ["a@b.test"]}], ["email"])
    assert len(bodies) == 1 and len(bodies[0]["filterGroups"]) == 1
    assert "after" not in bodies[0]


def test_a_long_in_list_is_chunked_over_groups_and_requests():
    emails = [f"customer-{n:05d}@moulin.example" for n in range(2000)]
    bodies = plan_search([STORE, PIPELINE, {"propertyName": "email", "operator": "IN", "values": emails}],
                         ["email", "firstname"])
    for body in bodies:
        within_limits(body)
        for group in body["filterGroups"]:
            assert STORE in group["filters"] and PIPELINE in group["filters"]  # every group keeps the AND
    assert listed(bodies, "email") == emails  # each value exactly once, in order
    # Filled close to the limit: no request but the last is less than 90 % full.
    assert all(len(json.dumps(b)) > 2700 for b in bodies[:-1])


def test_duplicates_are_sent_once_and_an_empty_list_needs_no_request():
    bodies = plan_search([{"propertyName": "email", "operator": "IN", "values": ["a", "a", "b"]}], [])
    assert listed(bodies, "email") == ["a", "b"]
    assert plan_search([{"propertyName": "email", "operator": "IN", "values": []}], []) == []


def test_what_cannot_fit_is_refused_before_any_request():
    with pytest.raises(SearchTooBig):
        plan_search([{"propertyName": f"p{n}", "operator": "HAS_PROPERTY"} for n in range(6)]
                    + [{"propertyName": "email", "operator": "IN", "values": ["a"]}], [])
    with pytest.raises(SearchTooBig):
        plan_search([{"propertyName": "email", "operator": "IN", "values": ["x" * 3000]}], [])
