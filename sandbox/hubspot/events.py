"""In-process event bus: the sandbox emits one dict per CRM change; webhook delivery subscribes.

Events are shaped like HubSpot webhook events without the delivery fields
(`eventId`, `subscriptionId`, `appId`, `attemptNumber`), which the subscriber adds.
Subscribers are called synchronously while the sandbox holds its state lock: queue the event and
return; calling the sandbox (or an app that calls it) from inside a subscriber would deadlock.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

logger = logging.getLogger(__name__)

Subscriber = Callable[[dict], None]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        """Register `fn`; returns a function that unsubscribes it."""
        with self._lock:
            self._subscribers.append(fn)

        def unsubscribe() -> None:
            with self._lock:
                if fn in self._subscribers:
                    self._subscribers.remove(fn)

        return unsubscribe

    @property
    def has_subscribers(self) -> bool:
        """Lets emitters skip building events nobody would receive (a backfill makes one per property)."""
        return bool(self._subscribers)

    def emit(self, event: dict) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for fn in subscribers:
            # A failing subscriber must not break the API call that caused the event.
            try:
                fn(dict(event))
            except Exception:  # noqa: BLE001
                logger.exception("sandbox.event_subscriber_failed")
