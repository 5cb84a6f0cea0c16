"""OAuth in the HubSpot sandbox: authorize, token grants, expiry, revoke, uninstall, over loopback HTTP."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from sandbox.hubspot import start_sandbox

CLIENT = {"client_id": "sandbox-client-id", "client_secret": "sandbox-client-secret"}
REDIRECT = "https://app.test/oauth/callback"


@pytest.fixture(scope="module")
def sandbox():
    state, server = start_sandbox(auto_approve=True)
    yield state, server.url
    server.stop()


def authorize(url: str, **extra) -> dict:
    params = {"client_id": CLIENT["client_id"], "redirect_uri": REDIRECT, "scope": "oauth crm.objects.contacts.read",
              "optional_scope": "crm.objects.deals.read", "state": "s-1", **extra}
    answer = requests.get(f"{url}/oauth/authorize", params=params, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def token(url: str, **form) -> requests.Response:
    return requests.post(f"{url}/oauth/2026-03/token", data={**CLIENT, **form}, timeout=5)


def exchange(url: str, code: str) -> requests.Response:
    return token(url, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)


def contacts(url: str, access_token: str) -> requests.Response:
    return requests.get(f"{url}/crm/v3/objects/contacts", headers={"Authorization": f"Bearer {access_token}"},
                        timeout=5)


def test_code_grant_then_api_call_and_single_use_code(sandbox):
    state, url = sandbox
    query = authorize(url)
    assert query["state"] == "s-1"
    answer = exchange(url, query["code"])
    assert answer.status_code == 200
    tokens = answer.json()
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 1800
    assert tokens["scopes"] == ["crm.objects.contacts.read", "crm.objects.deals.read", "oauth"]
    assert tokens["hub_id"] in state.portals
    assert contacts(url, tokens["access_token"]).status_code == 200

    again = exchange(url, query["code"])
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant" and again.json()["status"] == "BAD_AUTH_CODE"


def test_each_install_makes_a_portal_unless_one_is_named(sandbox):
    state, url = sandbox
    first = exchange(url, authorize(url)["code"]).json()["hub_id"]
    second = exchange(url, authorize(url)["code"]).json()["hub_id"]
    named = exchange(url, authorize(url, portal_id=str(first))["code"]).json()["hub_id"]
    assert first != second and named == first


def test_code_expires_and_bad_client_secret(sandbox):
    state, url = sandbox
    code = authorize(url)["code"]
    bad_secret = token(url, grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
                       client_secret="wrong")
    assert bad_secret.status_code == 400 and bad_secret.json()["error"] == "invalid_client"
    state.clock.advance(601)
    expired = exchange(url, code)
    assert expired.json()["status"] == "BAD_AUTH_CODE"


def test_access_token_expires_on_the_sandbox_clock_and_refresh_keeps_refresh_token(sandbox):
    state, url = sandbox
    tokens = exchange(url, authorize(url)["code"]).json()
    state.clock.advance(1801)
    expired = contacts(url, tokens["access_token"])
    assert expired.status_code == 401
    body = expired.json()
    assert body["category"] == "EXPIRED_AUTHENTICATION" and body["status"] == "error" and body["correlationId"]
    assert body["message"].startswith("The OAuth token used to make this call expired")

    refreshed = token(url, grant_type="refresh_token", refresh_token=tokens["refresh_token"]).json()
    assert refreshed["refresh_token"] == tokens["refresh_token"]
    assert refreshed["access_token"] != tokens["access_token"]
    assert contacts(url, refreshed["access_token"]).status_code == 200

    unknown = token(url, grant_type="refresh_token", refresh_token="nope")
    assert unknown.status_code == 400 and unknown.json()["status"] == "BAD_REFRESH_TOKEN"


def test_introspect_and_revoke(sandbox):
    state, url = sandbox
    tokens = exchange(url, authorize(url)["code"]).json()
    info = requests.post(f"{url}/oauth/2026-03/token/introspect",
                         data={**CLIENT, "token": tokens["access_token"], "token_type_hint": "access_token"},
                         timeout=5).json()
    assert info["active"] is True and info["hub_id"] == tokens["hub_id"] and info["app_id"] == 1000
    assert info["token_use"] == "access_token" and 0 < info["expires_in"] <= 1800

    revoked = requests.post(f"{url}/oauth/2026-03/token/revoke", data={**CLIENT, "token": tokens["refresh_token"]},
                            timeout=5)
    assert revoked.status_code == 200
    assert token(url, grant_type="refresh_token", refresh_token=tokens["refresh_token"]).json()["error"] == \
        "invalid_grant"


def test_revoking_the_refresh_token_leaves_its_access_tokens_working(sandbox):
    # "This will only delete the refresh token. Access tokens generated with the refresh token will not be
    # affected." (developers.hubspot.com/docs-beta/oauth/tokens); the app must not count on revoke ending access.
    state, url = sandbox
    tokens = exchange(url, authorize(url)["code"]).json()
    requests.post(f"{url}/oauth/2026-03/token/revoke", data={**CLIENT, "token": tokens["refresh_token"]}, timeout=5)
    assert contacts(url, tokens["access_token"]).status_code == 200
    state.clock.advance(1801)
    assert contacts(url, tokens["access_token"]).status_code == 401


def test_token_answers_name_their_token_use(sandbox):
    # 2026-03 token answers carry token_use (HubSpot/hubspot-sdk-python types/auth/access_token_response.py).
    state, url = sandbox
    first = exchange(url, authorize(url)["code"]).json()
    refreshed = token(url, grant_type="refresh_token", refresh_token=first["refresh_token"]).json()
    assert first["token_use"] == refreshed["token_use"] == "access_token"


def test_external_install_uninstall_kills_tokens(sandbox):
    state, url = sandbox
    tokens = exchange(url, authorize(url)["code"]).json()
    gone = requests.delete(f"{url}/appinstalls/2026-03/external-install",
                           headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=5)
    assert gone.status_code == 204
    assert contacts(url, tokens["access_token"]).status_code == 401
    refresh = token(url, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"


def test_deleted_account_refresh_gives_bad_hub(sandbox):
    state, url = sandbox
    tokens = exchange(url, authorize(url)["code"]).json()
    state.delete_portal(tokens["hub_id"])
    refresh = token(url, grant_type="refresh_token", refresh_token=tokens["refresh_token"]).json()
    assert refresh["error"] == "invalid_grant" and refresh["status"] == "BAD_HUB"


def test_approve_page_deny_and_unknown_scope():
    state, server = start_sandbox()
    try:
        params = {"client_id": CLIENT["client_id"], "redirect_uri": REDIRECT, "scope": "oauth", "state": "z"}
        page = requests.get(f"{server.url}/oauth/authorize", params=params, timeout=5)
        assert page.status_code == 200 and "Approve" in page.text and "Deny" in page.text
        denied = requests.post(f"{server.url}/oauth/authorize/decision", data={**params, "decision": "deny"},
                               allow_redirects=False, timeout=5)
        query = parse_qs(urlsplit(denied.headers["Location"]).query)
        assert query["error"] == ["access_denied"] and query["state"] == ["z"]
        approved = requests.post(f"{server.url}/oauth/authorize/decision", data={**params, "decision": "approve"},
                                 allow_redirects=False, timeout=5)
        assert "code" in parse_qs(urlsplit(approved.headers["Location"]).query)
        bad = requests.get(f"{server.url}/oauth/authorize", params={**params, "scope": "oauth tickets"}, timeout=5)
        assert bad.status_code == 400 and "tickets" in bad.text
        wrong_client = requests.get(f"{server.url}/oauth/authorize", params={**params, "client_id": "x"}, timeout=5)
        assert wrong_client.status_code == 400
    finally:
        server.stop()


def test_missing_bearer_is_hubspots_401(sandbox):
    state, url = sandbox
    answer = requests.get(f"{url}/crm/v3/objects/contacts", timeout=5)
    assert answer.status_code == 401 and answer.json()["category"] == "INVALID_AUTHENTICATION"


def test_missing_scope_is_hubspots_403(sandbox):
    state, url = sandbox
    portal = state.create_portal()
    tokens = state.issue_tokens(portal, scopes=["crm.objects.contacts.read"])
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert requests.get(f"{url}/crm/v3/objects/contacts", headers=headers, timeout=5).status_code == 200
    denied = requests.post(f"{url}/crm/v3/objects/contacts", json={"properties": {}}, headers=headers, timeout=5)
    assert denied.status_code == 403
    body = denied.json()
    assert body["category"] == "MISSING_SCOPES"
    assert body["errors"][0]["context"]["requiredGranularScopes"] == ["crm.objects.contacts.write"]
    uninstall = requests.delete(f"{url}/appinstalls/2026-03/external-install", headers=headers, timeout=5)
    assert uninstall.status_code == 403


def test_pkce_s256_is_checked(sandbox):
    import base64
    import hashlib

    state, url = sandbox
    verifier = "a-long-random-verifier-string-0123456789-abcdefghijkl"
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    code = authorize(url, code_challenge=challenge, code_challenge_method="S256")["code"]
    wrong = token(url, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier="nope")
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    code = authorize(url, code_challenge=challenge, code_challenge_method="S256")["code"]
    right = token(url, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier)
    assert right.status_code == 200 and right.json()["access_token"]


def test_v3_and_v1_token_paths_answer_like_2026_03(sandbox):
    # The v1 paths stay until 16 Feb 2027 and the SDK's OAuth helpers still call them
    # (developers.hubspot.com/docs/api-reference/legacy/authentication/oauth-tokens/v1/migration-guide).
    state, url = sandbox
    first = exchange(url, authorize(url)["code"]).json()
    for path in ("/oauth/v3/token", "/oauth/v1/token"):
        answer = requests.post(f"{url}{path}", data={**CLIENT, "grant_type": "refresh_token",
                                                    "refresh_token": first["refresh_token"]}, timeout=5)
        assert answer.status_code == 200 and answer.json()["refresh_token"] == first["refresh_token"]
    info = requests.post(f"{url}/oauth/v3/token/introspect", data={**CLIENT, "token": first["refresh_token"]},
                         timeout=5).json()
    assert info["active"] is True and info["token_use"] == "refresh_token"
