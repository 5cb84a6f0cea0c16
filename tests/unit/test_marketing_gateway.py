"""The marketing adapter's rate behaviour for HubSpot's form submissions (requests-mock on HubSpot's hosts).

HubSpot: the secure submission follows the standard limits, and ten 429s within a second block the calling IP
for a minute with a text/plain `error code: 1015` (developers.hubspot.com/changelog/additional-rate-limit-
protection-being-added-to-form-submissions-api).
"""
import pytest

from hubspot_app.config import Config, ConfigError
from hubspot_app.hubspot.errors import RateLimited
from hubspot_app.hubspot.marketing import IpGuard, MarketingGateway, SubmissionRejected
from tests.unit.test_config import GOOD

FORMS = "https://api.hsforms.com"
SUBMIT = f"{FORMS}/submissions/v3/integration/secure/submit/42/form-1"
LIMITED = {"status_code": 429, "json": {"status": "error", "message": "You have reached your ten_secondly_rolling "
                                        "limit.", "errorType": "RATE_LIMIT"},
           "headers": {"X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}}


class RecordingLimiter:
    rate_per_s = 10.0

    def __init__(self):
        self.acquired, self.paused = 0, []

    def acquire(self, portal_id):
        self.acquired += 1

    def pause(self, portal_id, seconds):
        self.paused.append(seconds)


@pytest.fixture
def parts():
    return RecordingLimiter(), [], IpGuard()


def gateway(parts) -> MarketingGateway:
    limiter, sleeps, guard = parts
    return MarketingGateway(42, lambda _p: "token", api_base="https://api.hubapi.com", forms_base=FORMS,
                            limiter=limiter, sleep=sleeps.append, submissions_guard=guard)


def test_a_429_pauses_the_portal_and_holds_every_submission_before_retrying(requests_mock, parts):
    limiter, sleeps, guard = parts
    requests_mock.post(SUBMIT, [LIMITED, {"status_code": 200, "json": {"inlineMessage": "Thanks"}}])
    gateway(parts).submit("form-1", [{"name": "email", "value": "a@b.fr"}], {"hutk": "x"}, None)
    assert requests_mock.call_count == 2
    assert limiter.paused and limiter.paused[0] > 0  # the portal's workers all wait
    assert sleeps and sleeps[0] > 0  # and this host waited before its next submission
    assert requests_mock.request_history[0].headers["Authorization"] == "Bearer token"


def test_the_ip_block_holds_every_portal_for_a_minute(requests_mock, parts):
    _, sleeps, guard = parts
    requests_mock.post(SUBMIT, [{"status_code": 429, "text": "error code: 1015",
                                 "headers": {"Content-Type": "text/plain; charset=UTF-8"}},
                                {"status_code": 200, "json": {"inlineMessage": "Thanks"}}])
    gateway(parts).submit("form-1", [{"name": "email", "value": "a@b.fr"}], {}, None)
    assert requests_mock.call_count == 2
    assert max(sleeps) >= 59  # a minute, not a burst of 429s that would renew the block
    assert guard.wait_s() > 0  # another portal's gateway sharing the guard waits too


def test_rate_limits_that_outlast_the_attempts_are_raised_not_dropped(requests_mock, parts):
    requests_mock.post(SUBMIT, [LIMITED] * 4)
    with pytest.raises(RateLimited):
        gateway(parts).submit("form-1", [{"name": "email", "value": "a@b.fr"}], {}, None)
    assert requests_mock.call_count == 4


def test_a_refused_cookie_or_email_is_a_rejection_naming_hubspots_error_types(requests_mock, parts):
    requests_mock.post(SUBMIT, status_code=400, json={
        "status": "error", "message": "The request is not valid", "correlationId": "c",
        "errors": [{"message": "Error in 'context.hutk'. Invalid hutk", "errorType": "INVALID_HUTK"}]})
    with pytest.raises(SubmissionRejected) as caught:
        gateway(parts).submit("form-1", [{"name": "email", "value": "a@b.fr"}], {"hutk": "bad"}, None)
    assert caught.value.error_types == ["INVALID_HUTK"] and "Invalid hutk" in str(caught.value)
    assert requests_mock.call_count == 1  # never retried: HubSpot gives the same answer


def test_form_submissions_go_to_hubspots_forms_host_or_the_stand_in():
    assert Config.from_env(GOOD).forms_base == "https://api.hsforms.com"
    assert Config.from_env({**GOOD, "HUBSPOT_API_BASE": "http://127.0.0.1:8765"}).forms_base == "http://127.0.0.1:8765"
    assert Config.from_env({**GOOD, "HUBSPOT_FORMS_BASE": "https://forms.example/"}).forms_base == \
        "https://forms.example"
    with pytest.raises(ConfigError, match="HUBSPOT_FORMS_BASE"):
        Config.from_env({**GOOD, "HUBSPOT_FORMS_BASE": "ftp://nope"})
