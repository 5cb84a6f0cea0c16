"""Receiving Moulin's push: verify the signature, store the event once, enqueue its processing.

Signature: header `X-Moulin-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`
under the store's push secret. The timestamp window stops an old captured request
from being replayed later; the (store, event id) uniqueness stops a re-sent one
from being processed twice.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import extensions, untrusted_json
from ..db.models import MoulinEvent, MoulinStore
from ..logs import log_event

logger = logging.getLogger(__name__)

TOLERANCE_S = 300
TASK = "sync.moulin_event"
EVENT_TYPE = re.compile(r"^(order|customer|company|product)\.(created|updated|deleted)$")
# Unix seconds: ASCII digits, and short (int() of a 5,000-digit header raises, and `isdigit` lets "١٢" through).
TIMESTAMP = re.compile(r"[0-9]{1,12}")


class PushRejected(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.code, self.field = status, code, field


@dataclass(frozen=True)
class PushOutcome:
    status: str  # "accepted" | "duplicate"
    event_row_id: int


def verify_signature(secret: str, header: str | None, body: bytes, now: float | None = None) -> None:
    if not header:
        raise PushRejected(401, "invalid_signature", "X-Moulin-Signature header missing")
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    timestamp, given = parts.get("t", ""), parts.get("v1", "")
    if not TIMESTAMP.fullmatch(timestamp) or not given:
        raise PushRejected(401, "invalid_signature", "X-Moulin-Signature must be t=<seconds>,v1=<hex>")
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > TOLERANCE_S:
        raise PushRejected(401, "stale_signature", "signature timestamp outside the 5-minute window")
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    # Bytes, not str: compare_digest raises on non-ASCII text, and a header can carry any latin-1 character.
    if not hmac.compare_digest(expected.encode(), given.encode("latin-1", "replace")):
        raise PushRejected(401, "invalid_signature", "signature does not match")


def parse_event(body: bytes) -> dict:
    try:
        event = untrusted_json.loads(body)
    except untrusted_json.UnreadableJson as error:
        raise PushRejected(400, "malformed_json", str(error)) from None
    if not isinstance(event, dict):
        raise PushRejected(400, "invalid_event", "event must be a JSON object")
    # A 4xx, not a failure later: a value no database can store would fail on every retry.
    problem = untrusted_json.unstorable(event)
    if problem:
        raise PushRejected(400, "invalid_event", problem, problem.partition(":")[0])
    if not isinstance(event.get("id"), str) or not event["id"].strip() or len(event["id"]) > 128:
        raise PushRejected(400, "invalid_event", "id: a non-empty string (at most 128) is required", "id")
    if not isinstance(event.get("type"), str) or not EVENT_TYPE.match(event["type"]):
        raise PushRejected(400, "invalid_event", "type: must be <order|customer|company|product>."
                           "<created|updated|deleted>", "type")
    data = event.get("data")
    record_id = data.get("id") if isinstance(data, dict) else None
    if isinstance(record_id, bool) or not isinstance(record_id, (str, int)) or not 0 < len(str(record_id)) <= 128:
        raise PushRejected(400, "invalid_event",
                           "data.id: the changed record's id (at most 128 characters) is required", "data.id")
    return event


def receive_push(store_id: int, body: bytes, signature: str | None) -> PushOutcome:
    """Verify → store → (after commit) enqueue. Raises PushRejected with the HTTP answer to give."""
    with extensions.db().session() as session:
        store = session.get(MoulinStore, store_id)
        if store is None:
            raise PushRejected(404, "unknown_store", f"no Moulin store {store_id}")
        verify_signature(extensions.cipher().decrypt(store.push_secret_enc), signature, body)
        event = parse_event(body)
        portal_id = store.portal_id
        existing = session.scalar(select(MoulinEvent.id).where(MoulinEvent.store_id == store_id,
                                                               MoulinEvent.event_id == event["id"]))
        if existing is not None:
            return PushOutcome("duplicate", existing)
        row = MoulinEvent(store_id=store_id, portal_id=portal_id, event_id=event["id"], type=event["type"],
                          record_id=str(event["data"]["id"]), payload=event)
        session.add(row)
        try:
            session.flush()
        except IntegrityError:
            # The same event arrived twice at once and the other request stored it; nothing else was written.
            session.rollback()
            return PushOutcome("duplicate", session.scalar(select(MoulinEvent.id).where(
                MoulinEvent.store_id == store_id, MoulinEvent.event_id == event["id"])))
    log_event(logger, "moulin.push.received", portal_id=portal_id, store_id=store_id, event_id=event["id"],
              type=event["type"], record_id=row.record_id)
    _enqueue(row.id, portal_id)
    return PushOutcome("accepted", row.id)


def _enqueue(event_row_id: int, portal_id: int) -> None:
    queue = extensions.jobs()
    if TASK not in queue:
        # Stored events wait in the inbox (processed_at is NULL) until a worker with the sync task runs.
        log_event(logger, "moulin.push.no_task", level=logging.WARNING, portal_id=portal_id,
                  event_row_id=event_row_id)
        return
    try:
        queue.enqueue(TASK, event_row_id)
    except Exception as error:  # noqa: BLE001
        # The event is safe in the inbox; Moulin must not re-send (and we must not answer 500) because the
        # queue hiccuped. Unprocessed rows stay visible with processed_at NULL.
        log_event(logger, "moulin.push.enqueue_failed", level=logging.ERROR, portal_id=portal_id,
                  event_row_id=event_row_id, error=type(error).__name__)
