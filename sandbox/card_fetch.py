"""What HubSpot does to a card's `hubspot.fetch` before it reaches our backend, for tests and the benchmark.

HubSpot appends `userId`, `userEmail`, `portalId` and `appId` to the query
string and signs method + URL + body + timestamp with the app's client secret
(signature v3). The URL is percent-encoded the way browsers do (`@` as `%40`),
which `hubspot_uri` undoes before signing.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from hubspot_app.hubspot.signature import sign_v3


@dataclass(frozen=True)
class SignedRequest:
    method: str
    path_and_query: str  # what the HTTP client sends
    url: str  # the external URL HubSpot called (and signed)
    headers: dict
    body: bytes


def hubspot_fetch(client_secret: str, base_url: str, method: str, path: str, params: dict | None = None,
                  body: dict | None = None, *, portal_id: int, app_id: int | None = 4242, user_id: int = 77,
                  user_email: str = "rep@shop.example", timestamp_ms: int | None = None) -> SignedRequest:
    query = {**(params or {}), "userId": user_id, "userEmail": user_email, "portalId": portal_id}
    if app_id is not None:
        query["appId"] = app_id
    path_and_query = f"{path}{'&' if '?' in path else '?'}{urlencode(query)}"
    raw = json.dumps(body).encode() if body is not None else b""
    timestamp = str(int(time.time() * 1000) if timestamp_ms is None else timestamp_ms)
    url = f"{base_url.rstrip('/')}{path_and_query}"
    headers = {"X-HubSpot-Signature-v3": sign_v3(client_secret, method, url, raw, timestamp),
               "X-HubSpot-Request-Timestamp": timestamp}
    if body is not None:
        headers["Content-Type"] = "application/json"
    return SignedRequest(method.upper(), path_and_query, url, headers, raw)
