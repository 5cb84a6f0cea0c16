import pytest

from hubspot_app.hubspot import errors
from hubspot_app.hubspot.ratelimit import InProcessLimiter


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_in_process_limiter_keeps_each_portal_under_the_window():
    clock = FakeClock()
    limiter = InProcessLimiter(max_requests=100, window_s=10, clock=clock, sleep=clock.sleep)
    for _ in range(100):
        limiter.acquire(1)
    assert clock.slept == []
    limiter.acquire(2)  # another portal has its own window
    assert clock.slept == []
    limiter.acquire(1)
    assert clock.slept == [10.0]


def test_the_default_window_is_hubspots_110_less_a_margin_of_two():
    clock = FakeClock()
    limiter = InProcessLimiter(clock=clock, sleep=clock.sleep)
    for _ in range(108):
        limiter.acquire(1)
        clock.now += 0.01
    assert clock.slept == []  # 108 in 1.08 s: a burst HubSpot's 110 / 10 s allows
    limiter.acquire(1)
    assert clock.slept == [pytest.approx(10 - 1.08)]  # the 109th waits for the first to leave the window
    assert limiter.rate_per_s == 10.8


def test_pause_after_429_blocks_the_portal():
    clock = FakeClock()
    limiter = InProcessLimiter(clock=clock, sleep=clock.sleep)
    limiter.pause(1, 2.5)
    limiter.acquire(1)
    assert clock.slept == [2.5]


class SdkError(Exception):
    def __init__(self, status, body=None, headers=None):
        self.status, self.body, self.headers = status, body, headers


@pytest.mark.parametrize("status,cls,action", [
    (400, errors.PermanentError, errors.Action.FAIL), (401, errors.Unauthorized, errors.Action.FAIL),
    (404, errors.PermanentError, errors.Action.FAIL), (409, errors.Conflict, errors.Action.FAIL),
    (429, errors.RateLimited, errors.Action.RATE_LIMITED), (500, errors.TransientError, errors.Action.RETRY),
    (502, errors.TransientError, errors.Action.RETRY), (599, errors.TransientError, errors.Action.RETRY),
    (418, errors.PermanentError, errors.Action.FAIL),
])
def test_one_table_maps_statuses(status, cls, action):
    mapped = errors.from_exception(SdkError(status, '{"message": "nope", "correlationId": "c-1"}'))
    assert type(mapped) is cls and errors.action_of(mapped) is action
    assert mapped.message == "nope" and mapped.correlation_id == "c-1"


def test_429_backs_off_by_hubspot_headers():
    e = errors.from_exception(SdkError(429, "{}", {"X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}))
    assert (e.retry_after, e.interval) == (None, 10.0)
    assert [e.wait_s(n) for n in (1, 2, 3, 5, 9)] == [0.5, 1.0, 2.0, 8.0, 10.0]  # capped by the window
    assert errors.from_exception(SdkError(429, "{}", {"Retry-After": "3"})).wait_s(1) == 3.0
    assert errors.from_exception(SdkError(429, "{}", {})).interval == errors.DEFAULT_BACKOFF_S


def test_no_response_is_transient_but_client_validation_is_permanent():
    assert type(errors.from_exception(ConnectionResetError("reset"))) is errors.TransientError
    assert type(errors.from_exception(ValueError("Invalid value for `created_at`"))) is errors.PermanentError


def test_no_answer_is_retried_and_a_client_side_contract_error_is_not():
    assert errors.action_of(errors.from_exception(ConnectionResetError("reset"))) is errors.Action.RETRY
    assert errors.action_of(errors.from_exception(ValueError("bad enum"))) is errors.Action.FAIL
