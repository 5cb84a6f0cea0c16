"""HubSpot request signatures (webhooks and `hubspot.fetch` from app cards): v3 only.

v3 is base64(HMAC-SHA256(client_secret, method + uri + body + timestamp)), where
`uri` is the URL exactly as HubSpot called it with only a fixed set of
percent-escapes decoded, and the timestamp must be within 5 minutes.
https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/request-validation

v1 and v2 (`X-HubSpot-Signature`) are refused on purpose: neither carries a
timestamp, so a captured request replays forever, and a v1 signature of a GET
(no body) is sha256(client_secret), one fixed value that would open every
portal's card. HubSpot sends v3 beside them on every request it signs (the older headers stay only
"for backward compatibility": https://developers.hubspot.com/changelog/introducing-version-3-of-webhook-signatures).
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
# Milliseconds since the epoch: ASCII digits only, and short, so no int() of a 5,000-digit header.
_TIMESTAMP = re.compile(r"[0-9]{1,15}")


def hubspot_uri(url: str) -> str:
    """The URL as HubSpot signs it: the listed escapes decoded (either case), nothing else."""
    return _ESCAPE.sub(lambda match: _DECODED_ESCAPES[match.group().upper()], url)


def sign_v3(client_secret: str, method: str, url: str, body: bytes | str, timestamp_ms: int | str) -> str:
    # HubSpot signs the UTF-8 text; signing the raw bytes is the same for UTF-8 and cannot fail on other bytes.
    body_bytes = body.encode("utf-8") if isinstance(body, str) else body
    message = f"{method.upper()}{hubspot_uri(url)}".encode("utf-8") + body_bytes + str(timestamp_ms).encode()
    digest = hmac.new(client_secret.encode("utf-8"), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


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
    """Check the request's v3 signature and its timestamp window.

    `url` must be the external URL HubSpot called (scheme, host, path, query):
    behind a TLS-terminating proxy, build it from the public base URL, not
    from what the proxy forwarded.
    """
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    v3 = headers.get("X-HubSpot-Signature-v3")
    if not v3:
        if headers.get("X-HubSpot-Signature"):
            return SignatureCheck(False, "only a v1/v2 signature (no timestamp, replayable): v3 is required")
        return SignatureCheck(False, "no X-HubSpot-Signature-v3 header")
    raw_ts = headers.get("X-HubSpot-Request-Timestamp", "")
    if not _TIMESTAMP.fullmatch(raw_ts):
        return SignatureCheck(False, "missing or malformed X-HubSpot-Request-Timestamp")
    # Reject the future as well as the past: a skewed or forged clock is not fresh.
    if abs(now_ms - int(raw_ts)) > MAX_AGE_MS:
        return SignatureCheck(False, "timestamp outside the 5-minute window")
    expected = sign_v3(client_secret, method, url, body, raw_ts)
    # Header values are latin-1 text in WSGI; compare bytes, since compare_digest refuses non-ASCII str.
    if hmac.compare_digest(expected.encode(), v3.encode("latin-1", "replace")):
        return SignatureCheck(True)
    return SignatureCheck(False, "v3 signature mismatch")
