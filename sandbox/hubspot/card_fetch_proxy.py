"""HubSpot's side of a card's `hubspot.fetch`, for the offline card preview.

In HubSpot the card never calls our backend itself: HubSpot's proxy does. It refuses
URLs outside the project's `permittedUrls.fetch`, appends `userId`, `userEmail`,
`portalId` and `appId` to the query string, signs the request with the app's client
secret (signature v3), gives up after the timeout (15 s by default) and refuses
request or response bodies over 1 MB; on a connection error or a 5xx it tries once
more. Sources: developers.hubspot.com/docs/apps/developer-platform/add-features/ui-extensions/fetching-data
(hubspot.fetch, permitted URLs) and /work/shared/HUBSPOT-FACTS.md (limits, retry, appended parameters).

The preview has one difference: the permitted URL names the production host
(`https://moulin-hubspot.example.com`), so the proxy sends the request to the
deployment the sandbox was told about (`SandboxState.card_backend_url`, the app on
loopback) and signs the URL it really calls, as HubSpot signs the URL it calls.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import requests

from sandbox.card_fetch import hubspot_fetch

PROJECT_APP_CONFIG = Path(__file__).resolve().parents[2] / "crm_cards" / "src" / "app" / "app-hsmeta.json"
DEFAULT_TIMEOUT_MS = 15_000
MAX_TIMEOUT_MS = 15_000  # HubSpot gives up at 15 s whatever the card asks
MAX_BODY_BYTES = 1_000_000
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


class FetchRefused(Exception):
    """HubSpot's proxy gives the card no answer: the `hubspot.fetch` promise rejects with this message."""


@dataclass(frozen=True)
class CardRequest:
    portal_id: int
    url: str
    method: str
    body: dict | None
    timeout_ms: int

    @classmethod
    def parse(cls, data: dict) -> "CardRequest":
        method = str(data.get("method") or "GET").upper()
        if method not in METHODS:
            raise FetchRefused(f"method {method!r} is not one hubspot.fetch sends ({', '.join(sorted(METHODS))})")
        body = data.get("body")
        if body is not None and not isinstance(body, dict):
            raise FetchRefused("body must be a JSON object")
        timeout = data.get("timeout")
        if timeout is not None and (not isinstance(timeout, int) or timeout <= 0):
            raise FetchRefused("timeout must be a positive number of milliseconds")
        if not isinstance(data.get("portalId"), int) or not isinstance(data.get("url"), str):
            raise FetchRefused("portalId (a number) and url (a string) are required")
        return cls(data["portalId"], data["url"], method, body, min(timeout or DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS))


@dataclass(frozen=True)
class CardAnswer:
    status: int
    body: str
    content_type: str


def permitted_fetch_urls(config_path: Path = PROJECT_APP_CONFIG) -> list[str]:
    return json.loads(config_path.read_text())["config"]["permittedUrls"]["fetch"]


def relay(card: CardRequest, *, client_secret: str, app_id: int, backend_url: str | None, user_id: int,
          user_email: str, permitted: list[str]) -> CardAnswer:
    prefix = next((url for url in permitted if card.url.startswith(url.rstrip("/") + "/")), None)
    if prefix is None:
        raise FetchRefused(f"{card.url} is not in the app's permittedUrls.fetch ({', '.join(permitted)})")
    if backend_url is None:
        raise FetchRefused("the sandbox does not know where the app runs (set SandboxState.card_backend_url)")
    body_bytes = len(json.dumps(card.body).encode()) if card.body is not None else 0
    if body_bytes > MAX_BODY_BYTES:
        raise FetchRefused(f"request body of {body_bytes} bytes is over HubSpot's 1 MB limit")
    answer, problem = None, ""
    for _attempt in range(2):  # HubSpot retries once on a connection error or a 5xx
        signed = hubspot_fetch(client_secret, backend_url, card.method, card.url[len(prefix.rstrip("/")):],
                               body=card.body, portal_id=card.portal_id, app_id=app_id, user_id=user_id,
                               user_email=user_email)
        try:
            answer = _send(signed, card.timeout_ms / 1000)
        except requests.Timeout:
            raise FetchRefused(f"the app did not answer within {card.timeout_ms} ms") from None
        except requests.ConnectionError:
            answer, problem = None, f"could not connect to the app at {backend_url}"
            continue
        if answer.status < 500:
            break
    if answer is None:
        raise FetchRefused(problem)
    return answer  # a 5xx twice reaches the card as the app's answer


def _send(signed, timeout_s: float) -> CardAnswer:
    with requests.request(signed.method, signed.url, headers=signed.headers, data=signed.body or None,
                          timeout=timeout_s, stream=True, allow_redirects=False) as response:
        raw = response.raw.read(MAX_BODY_BYTES + 1, decode_content=True)
        if len(raw) > MAX_BODY_BYTES:
            raise FetchRefused("the app's answer is over HubSpot's 1 MB limit")
        return CardAnswer(response.status_code, raw.decode("utf-8", errors="replace"),
                          response.headers.get("Content-Type", ""))
