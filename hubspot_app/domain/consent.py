"""Consent changes and the one rule between them: the most recent `changed_at` wins. Pure: no I/O.

HubSpot's statuses: SUBSCRIBED / NOT_SUBSCRIBED / NOT_SPECIFIED with a timestamp and a source
(developers.hubspot.com/docs/api-reference/2026-03/communication-preferences/guide).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hubspot_app.domain.records import Customer

GRANTED, WITHDRAWN = "granted", "withdrawn"


@dataclass(frozen=True)
class ConsentChange:
    email: str
    status: str  # granted | withdrawn
    changed_at: datetime
    source: str  # "moulin:<store>:<where>" or "hubspot:<where>"

    @property
    def from_hubspot(self) -> bool:
        return self.source.startswith("hubspot:")


def from_moulin(customer: Customer, store_code: str) -> ConsentChange | None:
    consent = customer.consent
    if not customer.email or consent is None or consent.marketing_email not in (GRANTED, WITHDRAWN) \
            or consent.changed_at is None:
        return None
    # A change the app itself sent to Moulin comes back with its HubSpot origin: keep that origin.
    source = consent.source if (consent.source or "").startswith("hubspot:") else \
        f"moulin:{store_code}:{consent.source or 'unknown'}"
    return ConsentChange(customer.email, consent.marketing_email, consent.changed_at, source)


def from_hubspot(email: str, status: str, timestamp: datetime, source: str) -> ConsentChange | None:
    if status not in ("SUBSCRIBED", "NOT_SUBSCRIBED"):
        return None
    return ConsentChange(email, GRANTED if status == "SUBSCRIBED" else WITHDRAWN, timestamp,
                         f"hubspot:{source or 'unknown'}"[:64])


def is_newer(change: ConsentChange, known_at: datetime | None) -> bool:
    return known_at is None or change.changed_at > known_at
