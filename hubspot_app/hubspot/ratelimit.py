"""A per-portal request limiter shared by every worker.

HubSpot allows public apps 110 requests per rolling 10 s per installed account
(search excluded; "API usage guidelines and limits", rate limits for apps using
OAuth: developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines).
We send at most 108: every request of a portal takes its slot here first, so
the only error left is timing (a request stamped here at t reaches HubSpot a
few ms later, and the jitter between two requests can squeeze one more into
HubSpot's window), and two spare slots cover that. Under 100 (HubSpot's older
certification advice) the sync could never come within 10% of its floor.
With REDIS_URL the window lives in Redis (one sorted set per portal, updated
by one atomic Lua script, timed by the Redis server's clock so workers on
different machines agree): every process of a portal shares it. Without it,
an in-process window shared by the threads of one process: a deployment
without Redis runs one worker, and the web process's rare calls (a card, a
settings page) that fall into a full window get a 429, which is retried after
HubSpot's interval like any other. After a 429 the portal is paused for that
interval, for every worker.
"""
from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict, deque
from typing import Callable, Protocol

HUBSPOT_MAX_REQUESTS = 110  # per WINDOW_S, HubSpot's (see above)
SAFETY_MARGIN = 2  # slots left for the send-time jitter
MAX_REQUESTS = HUBSPOT_MAX_REQUESTS - SAFETY_MARGIN
WINDOW_S = 10.0


class RateLimiter(Protocol):
    rate_per_s: float  # sustained requests per second it lets through

    def acquire(self, portal_id: int) -> None: ...

    def pause(self, portal_id: int, seconds: float) -> None: ...


class InProcessLimiter:
    def __init__(self, max_requests: int = MAX_REQUESTS, window_s: float = WINDOW_S,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.max_requests, self.window_s = max_requests, window_s
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._sent: dict[int, deque[float]] = defaultdict(deque)
        self._paused_until: dict[int, float] = {}

    @property
    def rate_per_s(self) -> float:
        return self.max_requests / self.window_s

    def _wait_s(self, portal_id: int) -> float:
        now = self._clock()
        sent = self._sent[portal_id]
        while sent and sent[0] <= now - self.window_s:
            sent.popleft()
        paused = self._paused_until.get(portal_id, 0.0) - now
        if paused > 0:
            return paused
        if len(sent) < self.max_requests:
            sent.append(now)
            return 0.0
        return sent[0] + self.window_s - now

    def acquire(self, portal_id: int) -> None:
        while True:
            with self._lock:
                wait = self._wait_s(portal_id)
            if wait <= 0:
                return
            self._sleep(wait)

    def pause(self, portal_id: int, seconds: float) -> None:
        with self._lock:
            until = self._clock() + seconds
            self._paused_until[portal_id] = max(until, self._paused_until.get(portal_id, 0.0))


# KEYS[1] window zset, KEYS[2] pause key; ARGV: max, window_ms, member. Returns ms to wait (0 = granted).
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > now then return paused - now end
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
"""

# KEYS[1] pause key; ARGV[1] pause ms. Extends, never shortens, a pause.
_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilms = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilms > current then redis.call('SET', KEYS[1], untilms, 'PX', tonumber(ARGV[1])) end
return untilms
"""


class RedisLimiter:
    def __init__(self, redis, prefix: str = "moulin:ratelimit", max_requests: int = MAX_REQUESTS,
                 window_s: float = WINDOW_S, sleep: Callable[[float], None] = time.sleep):
        self.redis, self.prefix = redis, prefix
        self.max_requests, self.window_ms = max_requests, int(window_s * 1000)
        self._sleep = sleep
        self._acquire = redis.register_script(_ACQUIRE)
        self._pause = redis.register_script(_PAUSE)

    @property
    def rate_per_s(self) -> float:
        return self.max_requests * 1000 / self.window_ms

    def _keys(self, portal_id: int) -> list[str]:
        return [f"{self.prefix}:{portal_id}:window", f"{self.prefix}:{portal_id}:paused"]

    def acquire(self, portal_id: int) -> None:
        while True:
            wait_ms = int(self._acquire(keys=self._keys(portal_id),
                                        args=[self.max_requests, self.window_ms, uuid.uuid4().hex]))
            if wait_ms <= 0:
                return
            self._sleep(wait_ms / 1000)

    def pause(self, portal_id: int, seconds: float) -> None:
        self._pause(keys=self._keys(portal_id)[1:], args=[max(1, int(seconds * 1000))])


def make_limiter(redis_url: str | None) -> RateLimiter:
    """Redis-backed (shared by every worker process) when REDIS_URL is set, else in-process.

    Build it once per process (the app keeps it) so all threads share one window.
    """
    if redis_url:
        import redis

        return RedisLimiter(redis.Redis.from_url(redis_url))
    return InProcessLimiter()
