"""Pure parsing of HubSpot webhook deliveries: which events we handle, and their identity.

HubSpot documents `eventId` as *not* guaranteed unique, and retries resend an
event unchanged except for `attemptNumber`. An event is therefore identified by
what HubSpot says happened: account, subscription, event id, time, type, object
and (for property changes) the property and value. Two events equal on all of
those describe the same fact, so deduplicating on them can never drop a real
change; `attemptNumber` is left out so a retry dedupes against the original.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from .. import untrusted_json

# Legacy subscription type prefix -> our object type (the `kind` in object_links).
OBJECT_TYPES = {"contact": "contact", "company": "company", "deal": "deal", "product": "product",
                "line_item": "line_item"}
# Generic `object.*` events carry objectTypeId instead; accepted too, for the same objects. HubSpot orders and
# carts have generic subscriptions only (no legacy `order.*`/`cart.*` type: /work/wt/commerce-facts.md, "Webhooks").
OBJECT_TYPE_IDS = {"0-1": "contact", "0-2": "company", "0-3": "deal", "0-7": "product", "0-8": "line_item",
                   "0-123": "order", "0-142": "cart"}

_IDENTITY_FIELDS = ("portalId", "appId", "subscriptionId", "eventId", "occurredAt", "subscriptionType",
                    "objectTypeId", "objectId", "propertyName", "propertyValue")


class MalformedDelivery(ValueError):
    """The body is not a JSON array of event objects."""


@dataclass(frozen=True)
class FailedEvent:
    """One event of a delivery we can never store or act on, and why; the rest of the delivery goes on."""

    position: int
    reason: str
    event_id: object = None


@dataclass(frozen=True)
class ParsedEvent:
    portal_id: int
    object_type: str | None
    action: str
    object_id: str
    occurred_at_ms: int
    property_name: str | None
    raw: dict

    @property
    def handler_key(self) -> tuple[str | None, str, str | None]:
        """What picks this event's handler (`handlers.HANDLERS`): a property matters only for propertyChange."""
        return self.object_type, self.action, (self.property_name if self.action == "propertyChange" else None)

    @property
    def subscription_type(self) -> str:
        return f"{self.object_type or 'object'}.{self.action}"

    def dedupe_key(self) -> str:
        identity = [self.raw.get(name) for name in _IDENTITY_FIELDS]
        return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()


def _object_type(event: dict, prefix: str) -> str | None:
    if prefix == "object":
        return OBJECT_TYPE_IDS.get(str(event.get("objectTypeId", "")))
    return OBJECT_TYPES.get(prefix)


def _id_number(event: dict, name: str) -> int:
    value = event[name]
    # Digits only and at most 18 of them: fits BIGINT, and never int() of a string thousands of digits long.
    text = str(value)
    if isinstance(value, bool) or not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise ValueError(f"{name} must be a whole number below 10^18, got {text[:30]!r}")
    return int(text)


def _object_id(event: dict) -> str:
    # HubSpot's object ids are numbers (the column holds 64 characters: a longer one was a batch PostgreSQL
    # refused, which held back every later delivery). Some types we do not handle carry none (associationChange).
    return str(_id_number(event, "objectId")) if "objectId" in event else ""


def parse_event(event: dict) -> ParsedEvent:
    problem = untrusted_json.unstorable(event)
    if problem:
        raise MalformedDelivery(problem)
    return stored_event(event)


def stored_event(event: dict) -> ParsedEvent:
    """An event's fields, for a payload known storable: checked by `parse_event` at intake, or read back from
    `webhook_events` (the check is a walk over the whole payload, a tenth of a batch's processing)."""
    # Some HubSpot docs call the field eventType; deliveries use subscriptionType.
    kind = str(event.get("subscriptionType") or event.get("eventType") or "")
    prefix, _, action = kind.partition(".")
    try:
        return ParsedEvent(
            portal_id=_id_number(event, "portalId"),
            object_type=_object_type(event, prefix),
            action=action,
            object_id=_object_id(event),
            occurred_at_ms=_id_number(event, "occurredAt"),
            property_name=event.get("propertyName"),
            raw=event,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise MalformedDelivery(f"event lacks a valid portalId/occurredAt/objectId: {error}") from None


def read_delivery(body: bytes) -> list:
    """The body as a JSON array, its events not yet read: all the receiver checks (the C parser, well under a
    millisecond for 100 events)."""
    try:
        data = untrusted_json.loads(body)
    except untrusted_json.UnreadableJson as error:
        raise MalformedDelivery(str(error)) from None
    if not isinstance(data, list):
        raise MalformedDelivery("body must be a JSON array of event objects")
    return data


def parse_delivery(body: bytes) -> tuple[list[ParsedEvent], list[FailedEvent]]:
    """The readable events, and those that failed (one bad event must not block its batch)."""
    events, failed = [], []
    for position, item in enumerate(read_delivery(body)):
        if not isinstance(item, dict):
            failed.append(FailedEvent(position, "an event must be a JSON object"))
            continue
        try:
            events.append(parse_event(item))
        except MalformedDelivery as error:
            event_id = item.get("eventId")
            failed.append(FailedEvent(position, str(error), event_id if isinstance(event_id, int) else None))
    return events, failed
