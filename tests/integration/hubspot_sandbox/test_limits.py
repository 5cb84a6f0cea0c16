"""Rate limits, injected faults and the request log of the HubSpot sandbox."""
from __future__ import annotations

import json

import pytest
import requests
from hubspot.crm.contacts import ApiException
from sandbox.hubspot.testing import sandbox_portal



def test_rolling_window_429_with_hubspot_headers_and_body():
    with sandbox_portal(rate_limit=(3, 10.0)) as hs:
        api = hs.sdk().crm.contacts.basic_api
        first = requests.get(f"{hs.url}/crm/v3/objects/contacts", headers=hs.headers(), timeout=5)
        assert first.headers["X-HubSpot-RateLimit-Max"] == "3"
        assert first.headers["X-HubSpot-RateLimit-Remaining"] == "2"
        assert first.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
        api.get_page()
        api.get_page()
        with pytest.raises(ApiException) as limited:
            api.get_page()
        assert limited.value.status == 429
        assert limited.value.headers["X-HubSpot-RateLimit-Remaining"] == "0"
        body = json.loads(limited.value.body)
        assert body["errorType"] == "RATE_LIMIT" and body["policyName"] == "TEN_SECONDLY_ROLLING"
        hs.state.clock.advance(10.01)
        assert api.get_page().results == []


def test_limits_are_per_portal():
    with sandbox_portal(rate_limit=(1, 10.0)) as hs:
        other = hs.state.create_portal()
        other_token = hs.state.issue_tokens(other)["access_token"]
        hs.sdk().crm.contacts.basic_api.get_page()
        assert hs.sdk(other_token).crm.contacts.basic_api.get_page().results == []


def test_random_faults_are_reproducible_for_a_seed():
    with sandbox_portal() as hs:
        def statuses(seed: int) -> list[int]:
            hs.state.faults.set_rate(0.5, seed)
            return [requests.get(f"{hs.url}/crm/v3/objects/deals", headers=hs.headers(), timeout=5).status_code
                    for _ in range(20)]

        first, again, other = statuses(7), statuses(7), statuses(8)
    assert first == again and first != other
    assert set(first) - {200} <= {429, 500, 502, 503} and 200 in first and len(set(first)) > 1


def test_fail_slow_and_drop_next():
    with sandbox_portal() as hs:
        url, headers = f"{hs.url}/crm/v3/objects/contacts", hs.headers()
        hs.state.faults.fail_next(2, status=502)
        assert [requests.get(url, headers=headers, timeout=5).status_code for _ in range(3)] == [502, 502, 200]
        hs.state.faults.slow_next(1, 0.3)
        assert requests.get(url, headers=headers, timeout=5).elapsed.total_seconds() >= 0.3
        hs.state.faults.drop_next(1)
        with pytest.raises(requests.ConnectionError):
            requests.get(url, headers=headers, timeout=5)
        assert requests.get(url, headers=headers, timeout=5).status_code == 200
        # The admin endpoint injects the same faults.
        requests.post(f"{hs.url}/_sandbox/faults", json={"failNext": 1, "status": 429}, timeout=5)
        injected = requests.get(url, headers=headers, timeout=5)
        assert injected.status_code == 429 and injected.headers["X-HubSpot-RateLimit-Remaining"] == "0"


def test_request_log_counts_per_endpoint_and_portal():
    with sandbox_portal() as hs:
        api = hs.sdk().crm.contacts.basic_api
        hs.state.request_log.reset()
        api.get_page()
        api.get_page()
        from hubspot.crm.contacts import SimplePublicObjectInputForCreate
        api.create(SimplePublicObjectInputForCreate(properties={"email": "l@x.test"}))
        log = hs.state.request_log
        assert log.total() == 3
        assert log.count(method="GET", path_prefix="/crm/v3/objects/contacts", portal_id=hs.portal_id) == 2
        assert log.count(portal_id=hs.portal_id + 1) == 0
        assert log.by_endpoint() == {"GET /crm/v3/objects/<object_type_name>": 2,
                                     "POST /crm/v3/objects/<object_type_name>": 1}
        answer = requests.get(f"{hs.url}/_sandbox/requests", timeout=5).json()
        assert answer["total"] == 3


def test_admin_refuses_non_loopback_callers():
    with sandbox_portal() as hs:
        from sandbox.hubspot import create_sandbox_app
        client = create_sandbox_app(hs.state).test_client()
        refused = client.post("/_sandbox/clock/advance", json={"seconds": 1},
                              environ_base={"REMOTE_ADDR": "10.0.0.5"})
        assert refused.status_code == 403
        allowed = client.post("/_sandbox/clock/advance", json={"seconds": 1},
                              environ_base={"REMOTE_ADDR": "127.0.0.1"})
        assert allowed.status_code == 200


def test_admin_portal_token_fault_and_log_endpoints():
    with sandbox_portal() as hs:
        admin = f"{hs.url}/_sandbox"
        portal = requests.post(f"{admin}/portals", json={"hubDomain": "shop.test"}, timeout=5)
        assert portal.status_code == 201
        portal_id = portal.json()["portalId"]
        tokens = requests.post(f"{admin}/portals/{portal_id}/tokens", json={}, timeout=5).json()
        assert tokens["hub_id"] == portal_id and tokens["expires_in"] == 1800
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert requests.get(f"{hs.url}/crm/v3/objects/deals", headers=headers, timeout=5).status_code == 200
        requests.post(f"{admin}/faults", json={"rate": 1.0, "seed": 3}, timeout=5)
        assert requests.get(f"{hs.url}/crm/v3/objects/deals", headers=headers, timeout=5).status_code != 200
        requests.post(f"{admin}/faults", json={"clear": True}, timeout=5)
        assert requests.delete(f"{admin}/requests", timeout=5).status_code == 204
        assert requests.get(f"{admin}/requests", timeout=5).json()["total"] == 0
        assert requests.delete(f"{admin}/portals/{portal_id}", timeout=5).status_code == 204
        assert requests.get(f"{hs.url}/crm/v3/objects/deals", headers=headers, timeout=5).status_code == 401


def test_latency_delays_each_call():
    # That calls wait side by side (the delay is outside the state lock) is a speed property: bench.sync
    # --latency-ms measures it; a wall-clock ceiling here would only be flaky on a loaded machine.
    from concurrent.futures import ThreadPoolExecutor
    import time

    with sandbox_portal(latency_s=0.3) as hs:
        def call(_):
            started = time.perf_counter()
            status = requests.get(f"{hs.url}/crm/v3/objects/contacts", headers=hs.headers(), timeout=5).status_code
            return status, time.perf_counter() - started

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(call, range(2)))
        assert [status for status, _ in answers] == [200, 200]
        assert all(took >= 0.3 for _, took in answers)
