"""The Redis limiter against the real Redis on 127.0.0.1:6379, under a unique key prefix."""
import threading
import time
import uuid

import pytest
import redis

from hubspot_app.hubspot.ratelimit import RedisLimiter


@pytest.fixture
def redis_client():
    client = redis.Redis(host="127.0.0.1", port=6379)
    prefix = f"test:{uuid.uuid4().hex}"
    yield client, prefix
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def test_window_is_shared_between_limiters_and_atomic(redis_client):
    client, prefix = redis_client
    slept = []
    a = RedisLimiter(client, prefix, max_requests=20, window_s=1, sleep=slept.append)
    b = RedisLimiter(client, prefix, max_requests=20, window_s=1, sleep=slept.append)

    def take(limiter):
        for _ in range(5):
            limiter.acquire(7)

    threads = [threading.Thread(target=take, args=(x,)) for x in (a, b, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert slept == []
    assert client.zcard(f"{prefix}:7:window") == 20

    waits = []
    c = RedisLimiter(client, prefix, max_requests=20, window_s=1, sleep=lambda s: (waits.append(s), time.sleep(s)))
    started = time.monotonic()
    c.acquire(7)  # the 21st within the window must wait for the oldest to expire
    assert waits and 0 < waits[0] <= 1.0
    assert time.monotonic() - started >= 0.5
    c.acquire(8)  # another portal is not affected
    assert len(waits) == 1


def test_pause_is_seen_by_every_worker(redis_client):
    client, prefix = redis_client
    waits = []
    a = RedisLimiter(client, prefix, sleep=lambda s: (waits.append(s), time.sleep(s)))
    b = RedisLimiter(client, prefix, sleep=lambda s: (waits.append(s), time.sleep(s)))
    a.pause(9, 0.3)
    b.acquire(9)
    assert waits and 0.1 < waits[0] <= 0.3
