"""What the sample store's routes read from a request: the store served, query parameters, JSON bodies."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app, request

from .errors import BadParameter
from .store import SampleStore

MAX_LIMIT = 1000
CONSENT_STATES = ("granted", "withdrawn")
STORE_KEY = "moulin_sample_store"


def sample_store() -> SampleStore:
    return current_app.extensions[STORE_KEY]


def datetime_arg(name: str) -> datetime | None:
    value = request.args.get(name)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadParameter(name, f"{name} must be an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise BadParameter(name, f"{name} must carry a timezone offset")
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+14:00 falls before year 1 in UTC
        raise BadParameter(name, f"{name} is out of range") from None


def limit() -> int:
    value = request.args.get("limit", "100")
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise BadParameter("limit", f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(value)


def only(*allowed: str) -> None:
    # Strict on purpose: a misspelt parameter in the client must fail here, not be silently ignored.
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        raise BadParameter(unknown[0], f"unknown query parameter {unknown[0]!r}")


def json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadParameter("body", "a JSON object is expected")
    return body


def consent_body(body: dict) -> dict:
    """docs/moulin-api.yaml `ConsentChange`: a new consent state, when it was given or withdrawn, and where."""
    if body.get("marketing_email") not in CONSENT_STATES:
        raise BadParameter("marketing_email", "marketing_email must be granted or withdrawn")
    try:
        changed_at = datetime.fromisoformat(str(body.get("changed_at")))
    except ValueError:
        raise BadParameter("changed_at", "changed_at must be an ISO 8601 date-time with its offset") from None
    if changed_at.tzinfo is None:
        raise BadParameter("changed_at", "changed_at must carry a timezone offset")
    source = body.get("source")
    if not isinstance(source, str) or not 0 < len(source) <= 64:
        raise BadParameter("source", "source must be a non-empty string of at most 64 characters")
    return {"marketing_email": body["marketing_email"], "changed_at": changed_at.isoformat(), "source": source}
