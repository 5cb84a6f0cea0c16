"""How the sample data writes times and amounts: µs since the epoch inside, ISO 8601 and 2-decimal strings out."""
from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta, timezone
from decimal import Decimal

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
CENT = Decimal("0.01")


def to_us(value: datetime) -> int:
    delta = value - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


def iso(value_us: int) -> str:
    return from_us(value_us).isoformat()


def money(value: Decimal) -> str:
    return str(value.quantize(CENT))


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(c for c in plain if c.isalnum()) or "client"
