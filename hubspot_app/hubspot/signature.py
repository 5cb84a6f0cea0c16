"""HubSpot request signatures (webhooks and `hubspot.fetch` from app cards).

v3 is what HubSpot sends today: base64(HMAC-SHA256(client_secret,
method + uri + body + timestamp)), where `uri` is the URL exactly as HubSpot
called it with only a fixed set of percent-escapes decoded. v1 and v2 are
kept for deliveries that still carry them.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass

MAX_AGE_MS = 5 * 60 * 1000

# HubSpot decodes exactly these escapes before signing, and no others.
_DECODED_ESCAPES = {
    "%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$", "%27": "'",
    "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";",
}


_ESCAPE = re.compile("|".join(_DECODED_ESCAPES), re.IGNORECASE)


def hubspot_uri(url: str) -> str:
    """The URL as HubSpot signs it: the listed escapes decoded (either case), nothing else."""
    return _ESCAPE.sub(lambda match: _DECODED_ESCAPES[match.group().upper()], url)


def sign_v3(client_secret: str, method: str, url: str, body: bytes | str, timestamp_ms: int | str) -> str:
    body_text = body.decode("utf-8") if isinstance(body, bytes) else body
    message = f"{method.upper()}{hubspot_uri(url)}{body_text}{timestamp_ms}"
    digest = hmac.new(client_secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def sign_v2(client_secret: str, method: str, url: str, body: bytes | str) -> str:
    body_text = body.decode("utf-8") if isinstance(body, bytes) else body
    return hashlib.sha256(f"{client_secret}{method.upper()}{url}{body_text}".encode("utf-8")).hexdigest()


def sign_v1(client_secret: str, body: bytes | str) -> str:
    body_text = body.decode("utf-8") if isinstance(body, bytes) else body
    return hashlib.sha256(f"{client_secret}{body_text}".encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SignatureCheck:
    ok: bool
    reason: str = ""


def verify_request(
    client_secret: str,
    method: str,
    url: str,
    body: bytes,
    headers,
    now_ms: int | None = None,
) -> SignatureCheck:
    """Check whichever signature version the request carries; v3 is preferred.

    `url` must be the external URL HubSpot called (scheme, host, path, query):
    behind a TLS-terminating proxy, build it from the public base URL, not
    from what the proxy forwarded.
    """
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    v3 = headers.get("X-HubSpot-Signature-v3")
    if v3:
        raw_ts = headers.get("X-HubSpot-Request-Timestamp", "")
        try:
            timestamp = int(raw_ts)
        except ValueError:
            return SignatureCheck(False, "missing or malformed X-HubSpot-Request-Timestamp")
        # Reject the future as well as the past: a skewed or forged clock is not fresh.
        if abs(now_ms - timestamp) > MAX_AGE_MS:
            return SignatureCheck(False, "timestamp outside the 5-minute window")
        expected = sign_v3(client_secret, method, url, body, raw_ts)
        if hmac.compare_digest(expected, v3):
            return SignatureCheck(True)
        return SignatureCheck(False, "v3 signature mismatch")
    legacy = headers.get("X-HubSpot-Signature")
    if legacy:
        version = (headers.get("X-HubSpot-Signature-Version") or "v1").lower()
        if version == "v2":
            expected = sign_v2(client_secret, method, url, body)
        elif version == "v1":
            expected = sign_v1(client_secret, body)
        else:
            return SignatureCheck(False, f"unknown signature version {version!r}")
        if hmac.compare_digest(expected, legacy):
            return SignatureCheck(True)
        return SignatureCheck(False, f"{version} signature mismatch")
    return SignatureCheck(False, "no HubSpot signature header")
