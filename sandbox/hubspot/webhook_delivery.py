"""Deliver the sandbox's CRM events to an app the way HubSpot does.

Subscribes to `state.events` (the sandbox EventBus), keeps only subscribed
event types, and POSTs JSON batches of at most 100 events with the fields
HubSpot adds (`eventId`, `subscriptionId`, `appId`, `attemptNumber`), signed
with signature v3 by this module's own code (not the app's, so a bug shared by
both sides cannot hide). A non-2xx answer or a timeout is retried with
exponential backoff, up to 10 attempts (HubSpot spreads them over 24 h; here the
delays are compressed), with at most `max_concurrent` requests in flight.
Tests can ask for duplicated and reordered deliveries.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import logging
import random
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

from .errors import HubSpotError
from .schema import object_type

logger = logging.getLogger(__name__)

HSMETA = Path(__file__).resolve().parents[2] / "crm_cards" / "src" / "app" / "webhooks" / "webhooks-hsmeta.json"
MAX_BATCH = 100
MAX_ATTEMPTS = 10
# The escapes HubSpot decodes in the URL before signing (and only those).
_SIGNED_ESCAPES = {"3A": ":", "2F": "/", "3F": "?", "40": "@", "21": "!", "24": "$", "27": "'", "28": "(",
                   "29": ")", "2A": "*", "2C": ",", "3B": ";"}
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")


def signature_v3(secret: str, method: str, url: str, body: str, timestamp_ms: int) -> str:
    uri = _ESCAPE.sub(lambda m: _SIGNED_ESCAPES.get(m.group(1).upper(), m.group(0)), url)
    message = (method + uri + body + str(timestamp_ms)).encode("utf-8")
    return base64.b64encode(hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()).decode()


@dataclass(frozen=True)
class Subscription:
    id: int
    event_type: str            # what the sandbox emits, e.g. "contact.propertyChange"
    property_name: str | None
    generic: bool              # deliver as object.* with objectTypeId


def load_subscriptions(path: Path = HSMETA) -> list[dict]:
    subs = json.loads(Path(path).read_text())["config"]["subscriptions"]
    return [dict(entry, _group=group) for group, entries in subs.items() for entry in entries]


def _compile(entries: list[dict]) -> list[Subscription]:
    compiled = []
    for number, entry in enumerate(entries, start=1):
        if entry.get("active") is False:
            continue
        kind = entry["subscriptionType"]
        generic = kind.startswith("object.")
        if generic:
            kind = f"{object_type(entry['objectType']).singular}.{kind.split('.', 1)[1]}"
        elif _is_commerce(kind.split(".", 1)[0]):
            # Legacy types exist for contacts, companies, deals, tickets, products and line items only
            # (developers.hubspot.com/docs/api-reference/2026-03/webhooks/guide); orders and carts come through
            # generic `object.*` subscriptions (developers.hubspot.com/changelog/public-beta-generic-webhook-
            # subscriptions).
            raise ValueError(f"{kind}: no legacy subscription type for this object; use object.* with objectType")
        compiled.append(Subscription(number, kind, entry.get("propertyName"), generic))
    return compiled


def _is_commerce(name: str) -> bool:
    try:
        return object_type(name).commerce
    except HubSpotError:
        return False  # conversation.* and other non-CRM subscription types


@dataclass
class Chaos:
    """Misbehave like the real thing, on purpose: duplicate some events, shuffle order."""
    duplicate_rate: float = 0.0
    reorder: bool = False
    seed: int = 0


@dataclass
class Attempt:
    status: int | None
    attempt_number: int
    events: int


@dataclass
class DeliveryLog:
    attempts: list[Attempt] = field(default_factory=list)
    given_up: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, attempt: Attempt) -> None:
        with self.lock:
            self.attempts.append(attempt)


class WebhookDelivery:
    def __init__(self, state, target_url: str, client_secret: str, app_id: int, subscriptions: list[dict] | None = None,
                 flush_interval: float = 0.2, max_concurrent: int | None = None, retry_base_delay: float = 0.01,
                 timeout: float = 5.0, chaos: Chaos | None = None, now_ms=None):
        self.target_url = target_url
        self._secret = client_secret
        self.app_id = app_id
        entries = load_subscriptions() if subscriptions is None else subscriptions
        self.subscriptions = _compile(entries)
        self.max_concurrent = max_concurrent or self._hsmeta_concurrency()
        self.flush_interval = flush_interval
        self.retry_base_delay = retry_base_delay
        self.timeout = timeout
        self.chaos = chaos or Chaos()
        self._rng = random.Random(self.chaos.seed)
        self._now_ms = now_ms or (lambda: int(time.time() * 1000))
        self._event_ids = itertools.count(1)
        self._pending: list[dict] = []
        self._pending_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._http = requests.Session()
        self.log = DeliveryLog()
        self._unsubscribe = state.events.subscribe(self._on_event)

    @staticmethod
    def _hsmeta_concurrency() -> int:
        try:
            return int(json.loads(HSMETA.read_text())["config"]["settings"]["maxConcurrentRequests"])
        except (OSError, KeyError, ValueError):
            return 10

    def _match(self, event: dict) -> Subscription | None:
        kind = event.get("subscriptionType")
        for sub in self.subscriptions:
            if sub.event_type == kind and (sub.property_name is None or sub.property_name == event.get("propertyName")):
                return sub
        return None

    def _on_event(self, event: dict) -> None:
        sub = self._match(event)
        if sub is None:
            return
        out = dict(event, eventId=next(self._event_ids), subscriptionId=sub.id, appId=self.app_id, attemptNumber=0)
        if sub.generic:
            # The event already carries objectTypeId, which generic subscriptions rely on.
            out["subscriptionType"] = "object." + event["subscriptionType"].split(".", 1)[1]
        with self._pending_lock:
            self._pending.append(out)

    # -- delivery ------------------------------------------------------------------------------

    def _batches(self, events: list[dict]) -> list[list[dict]]:
        if self.chaos.duplicate_rate:
            events = events + [e for e in events if self._rng.random() < self.chaos.duplicate_rate]
        if self.chaos.reorder:
            self._rng.shuffle(events)
        by_portal: dict[int, list[dict]] = {}
        for event in events:
            by_portal.setdefault(event["portalId"], []).append(event)
        return [group[i:i + MAX_BATCH] for group in by_portal.values() for i in range(0, len(group), MAX_BATCH)]

    def _post(self, events: list[dict], attempt: int) -> int | None:
        body = json.dumps([dict(e, attemptNumber=attempt) for e in events])
        timestamp = self._now_ms()
        headers = {"Content-Type": "application/json", "X-HubSpot-Request-Timestamp": str(timestamp),
                   "X-HubSpot-Signature-v3": signature_v3(self._secret, "POST", self.target_url, body, timestamp),
                   # Webhooks still carry the older signature beside v3: v1 is sha256(secret + body), hex
                   # (https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/
                   # request-validation).
                   "X-HubSpot-Signature": hashlib.sha256((self._secret + body).encode("utf-8")).hexdigest(),
                   "X-HubSpot-Signature-Version": "v1", "User-Agent": "HubSpot Connect 2.0 (sandbox)"}
        try:
            return self._http.post(self.target_url, data=body.encode("utf-8"), headers=headers,
                                   timeout=self.timeout).status_code
        except requests.RequestException:
            return None

    def _deliver(self, events: list[dict]) -> bool:
        for attempt in range(MAX_ATTEMPTS):
            status = self._post(events, attempt)
            self.log.add(Attempt(status, attempt, len(events)))
            if status is not None and 200 <= status < 300:
                return True
            if attempt + 1 < MAX_ATTEMPTS:
                time.sleep(min(self.retry_base_delay * 2 ** attempt, 1.0))
        with self.log.lock:
            self.log.given_up += 1
        logger.warning("sandbox.webhook_delivery_given_up", extra={"events": len(events)})
        return False

    def flush(self) -> bool:
        """Deliver everything pending now, synchronously; True when every batch was accepted."""
        with self._flush_lock:
            with self._pending_lock:
                events, self._pending = self._pending, []
            batches = self._batches(events)
            if not batches:
                return True
            with ThreadPoolExecutor(max_workers=self.max_concurrent) as pool:
                return all(pool.map(self._deliver, batches))

    def start(self) -> "WebhookDelivery":
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.flush_interval):
            self.flush()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=30)
        self.flush()
        self._unsubscribe()
        self._http.close()
