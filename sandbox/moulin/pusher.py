"""The sender side of Moulin's push: signed change events, as the real back office sends them.

Signed independently of the app's verifier (docs/moulin-api.yaml, "Push"), so
the two sides check each other rather than share a bug.
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass, field
from datetime import datetime

import requests


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass
class Delivery:
    event_id: str
    event_type: str
    status: int | None
    body: str


@dataclass
class PushSender:
    url: str
    secret: str
    store_code: str = "b2c"
    timeout: float = 5.0
    deliveries: list[Delivery] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def event(self, event_type: str, data: dict, occurred_at: datetime) -> dict:
        return {"id": f"evt_{self.store_code}_{next(self._ids)}", "type": event_type,
                "occurred_at": occurred_at.isoformat(), "data": data}

    def post(self, event: dict, timestamp: int | None = None) -> requests.Response:
        body = json.dumps(event, ensure_ascii=False).encode()
        return self.post_raw(body, timestamp)

    def post_raw(self, body: bytes, timestamp: int | None = None) -> requests.Response:
        signature = sign(self.secret, body, int(time.time()) if timestamp is None else timestamp)
        return requests.post(self.url, data=body, timeout=self.timeout,
                             headers={"Content-Type": "application/json", "X-Moulin-Signature": signature})

    def send(self, event_type: str, data: dict, occurred_at: datetime) -> Delivery:
        event = self.event(event_type, data, occurred_at)
        try:
            response = self.post(event)
            delivery = Delivery(event["id"], event_type, response.status_code, response.text)
        except requests.RequestException as error:
            # Moulin does not stop selling because the app is down; the poll catches up later.
            delivery = Delivery(event["id"], event_type, None, type(error).__name__)
        self.deliveries.append(delivery)
        return delivery
