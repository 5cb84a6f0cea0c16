"""Forms, secure form submissions, visitor analytics and email subscriptions of the HubSpot sandbox (issue 14)."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests

from sandbox.hubspot.marketing import Visit
from sandbox.hubspot.testing import install_portal, sandbox_portal

HUTK = "0123456789abcdef0123456789abcdef"
FIELDS = [{"objectTypeId": "0-1", "name": n, "label": n, "fieldType": "email" if n == "email" else "single_line_text",
           "required": n == "email", "hidden": False} for n in ("email", "firstname")]


def make_form(hs, name="Moulin checkout") -> requests.Response:
    return requests.post(f"{hs.url}/marketing/v3/forms/", headers=hs.headers(), timeout=5, json={
        "name": name, "formType": "hubspot",
        "fieldGroups": [{"groupType": "default_group", "richTextType": "text", "fields": FIELDS}]})


def submit(hs, form_id, email="marie@exemple.fr", context=None, **extra) -> requests.Response:
    return requests.post(f"{hs.url}/submissions/v3/integration/secure/submit/{hs.portal_id}/{form_id}",
                         headers=hs.headers(), timeout=5,
                         json={"fields": [{"objectTypeId": "0-1", "name": "email", "value": email}],
                               "context": context if context is not None else {"hutk": HUTK}, **extra})


def contact(hs, email):
    return next(r.properties for r in hs.state.objects(hs.portal_id, "contacts").values()
                if r.properties.get("email") == email)


def test_forms_are_created_read_and_named_once(hs):
    created = make_form(hs)
    assert created.status_code == 201
    form = created.json()
    assert form["formType"] == "hubspot" and not form["archived"] and form["createdAt"]
    got = requests.get(f"{hs.url}/marketing/v3/forms/{form['id']}", headers=hs.headers(), timeout=5)
    assert got.status_code == 200 and got.json()["name"] == "Moulin checkout"
    assert make_form(hs).status_code == 409
    missing = requests.get(f"{hs.url}/marketing/v3/forms/nope", headers=hs.headers(), timeout=5)
    assert missing.status_code == 404 and missing.json()["category"] == "OBJECT_NOT_FOUND"


def test_a_submission_with_the_cookie_gives_the_contact_its_visitor_history(hs):
    form_id = make_form(hs).json()["id"]
    hs.state.record_visits(hs.portal_id, HUTK, [
        Visit("https://shop.example/farines", 1_700_000_600_000, "DIRECT_TRAFFIC"),
        Visit("https://shop.example/", 1_700_000_000_000, "ORGANIC_SEARCH", "google")])
    answer = submit(hs, form_id, context={"hutk": HUTK, "pageUri": "https://shop.example/merci",
                                          "pageName": "Merci", "ipAddress": "203.0.113.9"})
    assert answer.status_code == 200 and answer.json() == {"inlineMessage": "Thanks for submitting the form."}
    props = contact(hs, "marie@exemple.fr")
    assert props["hs_analytics_source"] == "ORGANIC_SEARCH" and props["hs_analytics_source_data_1"] == "google"
    assert props["hs_analytics_first_url"] == "https://shop.example/" and props["hs_analytics_num_page_views"] == "2"
    listed = requests.get(f"{hs.url}/_sandbox/portals/{hs.portal_id}/submissions", timeout=5).json()["results"]
    assert len(listed) == 1 and listed[0]["context"]["pageName"] == "Merci"


def test_submission_errors_have_hubspots_shape(hs):
    form_id = make_form(hs).json()["id"]
    cases = [(submit(hs, form_id, email="pas-une-adresse"), 400, "INVALID_EMAIL"),
             (submit(hs, form_id, context={"hutk": "not-a-cookie"}), 400, "INVALID_HUTK"),
             (submit(hs, form_id, context={"pageUri": "ftp://x"}), 400, "INVALID_PAGE_URI"),
             (submit(hs, "00000000-0000-0000-0000-000000000000"), 404, "FORM_NOT_FOUND")]
    for answer, status, error_type in cases:
        body = answer.json()
        assert answer.status_code == status and body["status"] == "error" and body["correlationId"]
        assert [e["errorType"] for e in body["errors"]] == [error_type]
    unknown_field = requests.post(
        f"{hs.url}/submissions/v3/integration/secure/submit/{hs.portal_id}/{form_id}", headers=hs.headers(),
        timeout=5, json={"fields": [{"objectTypeId": "0-1", "name": "email", "value": "a@b.fr"},
                                    {"objectTypeId": "0-1", "name": "jobtitle", "value": "x"}]})
    assert unknown_field.json()["errors"][0]["errorType"] == "FIELD_NOT_IN_FORM_DEFINITION"
    consent_without_text = submit(hs, form_id, legalConsentOptions={"consent": {"consentToProcess": True}})
    assert consent_without_text.json()["errors"][0]["errorType"] == "MISSING_PROCESSING_CONSENT_TEXT"
    assert hs.state.marketing_of(hs.portal_id).submissions == []


def test_marketing_calls_need_their_scopes(sandbox):
    state, url = sandbox
    hs = install_portal(state, url)
    hs.tokens = state.issue_tokens(hs.portal_id, ["oauth", "crm.objects.contacts.read"])
    for answer, scope in ((make_form(hs), "forms"), (submit(hs, "x"), "forms"),
                          (requests.get(f"{url}/communication-preferences/2026-03/definitions", headers=hs.headers(),
                                        timeout=5), "subscriptions-definition-read")):
        assert answer.status_code == 403 and answer.json()["category"] == "MISSING_SCOPES"
        assert answer.json()["errors"][0]["context"]["requiredGranularScopes"] == [scope]


def test_ten_429s_within_a_second_block_form_submissions_for_a_minute():
    with sandbox_portal(rate_limit=(1, 10.0)) as hs:
        form_id = make_form(hs).json()["id"]  # takes the window's one request
        limited = [submit(hs, form_id) for _ in range(10)]
        assert {r.status_code for r in limited} == {429}
        assert all(r.json()["errorType"] == "RATE_LIMIT" for r in limited)
        blocked = submit(hs, form_id)
        assert blocked.status_code == 429 and blocked.text == "error code: 1015"
        assert blocked.headers["Content-Type"].startswith("text/plain")
        hs.state.clock.advance(30)
        assert submit(hs, form_id).text == "error code: 1015"  # still blocked, though the window is free
        hs.state.clock.advance(31)
        assert submit(hs, form_id).status_code == 200


def test_subscription_definitions_and_statuses(hs):
    events = []
    hs.state.events.subscribe(events.append)
    form_id = make_form(hs).json()["id"]
    submit(hs, form_id, email="paul@exemple.fr")
    definitions = requests.get(f"{hs.url}/communication-preferences/2026-03/definitions", headers=hs.headers(),
                               timeout=5).json()
    marketing = next(d for d in definitions["results"] if d["purpose"] == "Marketing")
    base = f"{hs.url}/communication-preferences/2026-03/statuses/paul@exemple.fr"
    before = requests.get(base, params={"channel": "EMAIL"}, headers=hs.headers(), timeout=5).json()["results"]
    assert {s["status"] for s in before} == {"NOT_SPECIFIED"}
    changed = requests.post(base, headers=hs.headers(), timeout=5, json={
        "channel": "EMAIL", "subscriptionId": int(marketing["id"]), "statusState": "SUBSCRIBED",
        "legalBasis": "CONSENT_WITH_NOTICE", "legalBasisExplanation": "checkout"})
    assert changed.status_code == 200
    [item] = changed.json()["results"]
    assert item["status"] == "SUBSCRIBED" and item["subscriptionId"] == int(marketing["id"]) and item["timestamp"]
    bad = requests.post(base, headers=hs.headers(), timeout=5, json={"channel": "EMAIL", "statusState": "MAYBE",
                                                                     "subscriptionId": int(marketing["id"])})
    assert bad.status_code == 400 and "statusState" in bad.json()["message"]

    hs.state.user_unsubscribe_all(hs.portal_id, "paul@exemple.fr")
    props = contact(hs, "paul@exemple.fr")
    assert props["hs_email_optout"] == "true" and props[f"hs_email_optout_{marketing['id']}"] == "true"
    optout = [e for e in events if e.get("propertyName") == "hs_email_optout"]
    assert optout[-1]["propertyValue"] == "true" and optout[-1]["changeSource"] == "CRM_UI"


def test_admin_endpoints_record_visits_and_act_as_the_contact(hs):
    form_id = make_form(hs).json()["id"]
    recorded = requests.post(f"{hs.url}/_sandbox/portals/{hs.portal_id}/visits", timeout=5, json={
        "hutk": HUTK, "visits": [{"url": "https://shop.example/", "at": 1_700_000_000_000, "source": "REFERRALS"}]})
    assert recorded.status_code == 204
    submit(hs, form_id, email="lea@exemple.fr")
    assert contact(hs, "lea@exemple.fr")["hs_analytics_source"] == "REFERRALS"
    unsubscribed = requests.post(f"{hs.url}/_sandbox/portals/{hs.portal_id}/subscriptions", timeout=5,
                                 json={"email": "lea@exemple.fr", "unsubscribeAll": True})
    assert {s["status"] for s in unsubscribed.json()["results"]} == {"NOT_SUBSCRIBED"}
    back = requests.post(f"{hs.url}/_sandbox/portals/{hs.portal_id}/subscriptions", timeout=5,
                         json={"email": "lea@exemple.fr", "subscriptionId": 1001, "status": "SUBSCRIBED"})
    assert back.json()["status"] == "SUBSCRIBED" and contact(hs, "lea@exemple.fr")["hs_email_optout"] == "false"


def test_optional_scopes_are_granted_only_when_the_user_agrees():
    with sandbox_portal(auto_approve=True) as hs:
        hs.state.grant_optional_scopes = False
        answer = requests.get(f"{hs.url}/oauth/authorize", allow_redirects=False, timeout=5, params={
            "client_id": hs.state.oauth.client_id, "redirect_uri": "https://app.test/oauth/callback",
            "scope": "oauth crm.objects.contacts.read", "optional_scope": "forms subscriptions-status-read"})
        code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
        tokens = requests.post(f"{hs.url}/oauth/2026-03/token", timeout=5, data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": "https://app.test/oauth/callback",
            "client_id": hs.state.oauth.client_id, "client_secret": hs.state.oauth.client_secret}).json()
        assert sorted(tokens["scopes"]) == ["crm.objects.contacts.read", "oauth"]
