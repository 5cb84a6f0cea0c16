"""The sample Moulin store: the deterministic generator plus an in-memory overlay of edits.

Listing order is (updated_at, id). Generated records come first, in index
order; edited records leave that sequence and join the overlay with a fresh
updated_at from the store's own clock, which always runs after the generated
span, so a page is "rest of the generated range, then the overlay".
"""
from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterator

from hubspot_app.moulin.records import Order, normalise_email, parse_record

from .edits import new_order
from .links import LinkBook
from .formats import from_us, iso, to_us
from .generator import Generator
from .pusher import PushSender

DEFAULT_START = datetime(2024, 1, 1, tzinfo=timezone.utc)
RECORD_KINDS = {"orders": "order", "customers": "customer", "companies": "company", "products": "product"}


class CursorError(ValueError):
    pass


def encode_cursor(ts_us: int, record_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([iso(ts_us), record_id]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        ts, record_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return to_us(datetime.fromisoformat(ts)), str(record_id)
    except (ValueError, TypeError) as error:
        raise CursorError(f"invalid cursor: {error}") from None


@dataclass
class Page:
    data: list[dict]
    next_cursor: str | None


@dataclass
class Overlay:
    """Edited records of one collection, id -> (updated_at µs, record), and deleted ids -> deleted_at µs."""

    edits: dict[str, tuple[int, dict]] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)

    def touched(self, record_id: str) -> bool:
        return record_id in self.edits or record_id in self.deleted


class SampleStore:
    def __init__(self, orders: int = 1000, seed: int = 1, bad_records: float = 0.0, store_code: str = "b2c",
                 api_key: str = "sample-key", b2b_share: float = 0.2, start: datetime = DEFAULT_START,
                 name: str | None = None, hubspot_links: bool = False):
        self.store_code, self.api_key = store_code, api_key
        self.links = LinkBook(enabled=hubspot_links)
        self.name = name or f"Moulin sample store ({store_code})"
        self.gen = Generator(orders=orders, seed=seed, bad_records=bad_records, store_code=store_code,
                             b2b_share=b2b_share, start=start)
        # The clock starts one second after the last generated timestamp and only moves forward.
        self.clock_us = self.gen.end_us + 1_000_000
        self.overlays = {name: Overlay() for name in self.gen.collections}
        self.pusher: PushSender | None = None
        self.ticks = 0

    # -- clock -----------------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        return from_us(self.clock_us)

    def advance(self, seconds: float = 1.0) -> datetime:
        self.clock_us += max(1, int(seconds * 1_000_000))
        return self.now

    # -- reading ---------------------------------------------------------------------------------

    def _generated_deleted(self, name: str, i: int) -> bool:
        return name == "orders" and self.gen.order_deleted(i)

    def get(self, name: str, record_id: str) -> dict | None:
        overlay = self.overlays[name]
        if record_id in overlay.deleted:
            return None
        if record_id in overlay.edits:
            return copy.deepcopy(overlay.edits[record_id][1])
        collection = self.gen.collections[name]
        i = collection.index_of(record_id)
        if i is None or self._generated_deleted(name, i):
            return None
        return collection.build(i)

    def page(self, name: str, *, updated_since: datetime | None = None, cursor: str | None = None,
             limit: int = 100) -> Page:
        collection, overlay = self.gen.collections[name], self.overlays[name]
        after = decode_cursor(cursor) if cursor else None
        since_us = to_us(updated_since) if updated_since else None
        data: list[tuple[int, str, dict]] = []
        i = 0
        if after is not None:
            i = collection.first_at_or_after(after[0])
            if i < collection.count and collection.updated_us(i) == after[0]:
                i += 1  # generated timestamps are unique: equal means this record was the cursor
        if since_us is not None:
            i = max(i, collection.first_at_or_after(since_us))
        while i < collection.count and len(data) <= limit:
            record_id = collection.id_of(i)
            if not overlay.touched(record_id) and not self._generated_deleted(name, i):
                data.append((collection.updated_us(i), record_id, collection.build(i)))
            i += 1
        if len(data) <= limit:
            for ts, record_id, record in sorted((ts, rid, rec) for rid, (ts, rec) in overlay.edits.items()):
                if (after is None or (ts, record_id) > after) and (since_us is None or ts >= since_us):
                    data.append((ts, record_id, copy.deepcopy(record)))
                    if len(data) > limit:
                        break
        return self._cut(data, limit)

    @staticmethod
    def _cut(data: list[tuple[int, str, dict]], limit: int) -> Page:
        # One extra item was read to know whether a next page exists.
        more = len(data) > limit
        data = data[:limit]
        next_cursor = encode_cursor(data[-1][0], data[-1][1]) if more else None
        return Page([record for _, _, record in data], next_cursor)

    def deletions_page(self, *, since: datetime | None = None, cursor: str | None = None, limit: int = 100) -> Page:
        orders = self.gen.collections["orders"]
        after = decode_cursor(cursor) if cursor else None
        since_us = to_us(since) if since else None

        def generated_deleted_at(j: int) -> int:
            return orders.start_us + (j + 1) * orders.step_us - 1  # after its last update, before the next order's

        j = 0
        if after is not None:
            j = min(orders.count, max(0, (after[0] - orders.start_us) // orders.step_us))
        if since_us is not None:
            j = max(j, min(orders.count, max(0, (since_us - orders.start_us) // orders.step_us - 1)))
        data: list[tuple[int, str, dict]] = []
        while j < orders.count and len(data) <= limit:
            ts, record_id = generated_deleted_at(j), orders.id_of(j)
            if (self.gen.order_deleted(j) and (after is None or (ts, record_id) > after)
                    and (since_us is None or ts >= since_us)):
                data.append((ts, record_id, self._deletion("orders", record_id, ts)))
            j += 1
        if len(data) <= limit:
            admin = sorted((ts, name, rid) for name, ov in self.overlays.items() for rid, ts in ov.deleted.items())
            for ts, name, record_id in admin:
                if (after is None or (ts, record_id) > after) and (since_us is None or ts >= since_us):
                    data.append((ts, record_id, self._deletion(name, record_id, ts)))
                    if len(data) > limit:
                        break
        return self._cut(data, limit)

    def _deletion(self, name: str, record_id: str, ts: int) -> dict:
        return {"kind": RECORD_KINDS[name], "id": record_id, "store": self.store_code, "deleted_at": iso(ts)}

    def lookup(self, email: str) -> tuple[list[dict], list[dict]]:
        """Customers whose email is `email` in any case or spacing, and their live orders."""
        wanted = normalise_email(email)
        candidates: set[str] = {rid for rid, (_, rec) in self.overlays["customers"].edits.items()}
        number = wanted.split("@")[0].rsplit(".", 1)[-1] if wanted else ""
        if number.isdigit():
            # Generated addresses carry the customer's index; a shared one belongs to the next customer too.
            candidates |= {self.gen.collections["customers"].id_of(int(number) + d) for d in (0, 1)}
        customers = [c for c in (self.get("customers", rid) for rid in sorted(candidates))
                     if c is not None and isinstance(c.get("email"), str) and normalise_email(c["email"]) == wanted]
        return customers, [order for customer in customers for order in self.orders_of(customer["id"])]

    def orders_of(self, customer_id: str) -> list[dict]:
        """The live orders of one customer (generated or edited), by id."""
        ids = {rid for rid, (_, rec) in self.overlays["orders"].edits.items() if rec.get("customer_id") == customer_id}
        k = self.gen.collections["customers"].index_of(customer_id)
        if k is not None:
            ids |= {self.gen.collections["orders"].id_of(j) for j in self.gen.orders_of_customer(k)}
        return [o for o in (self.get("orders", rid) for rid in sorted(ids))
                if o is not None and o.get("customer_id") == customer_id]

    # -- expected results, computed without the app ----------------------------------------------

    def iter_raw(self, name: str) -> Iterator[dict]:
        cursor = None
        while True:
            page = self.page(name, cursor=cursor, limit=1000)
            yield from page.data
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    def live_orders(self) -> Iterator[Order]:
        """Every valid, non-deleted order as the app should end up with it."""
        for raw in self.iter_raw("orders"):
            record = parse_record(Order, raw)
            if isinstance(record, Order):
                yield record

    def count(self) -> dict:
        valid = bad = 0
        for raw in self.iter_raw("orders"):
            if isinstance(parse_record(Order, raw), Order):
                valid += 1
            else:
                bad += 1
        deleted = sum(1 for j in range(self.gen.collections["orders"].count) if self.gen.order_deleted(j))
        return {"orders": valid + bad, "valid_orders": valid, "bad_orders": bad,
                "deleted_orders": deleted + len(self.overlays["orders"].deleted)}

    # -- changes ---------------------------------------------------------------------------------

    def push_to(self, url: str, secret: str) -> None:
        """From now on, every change is sent to `url` as a signed event (sender side of the push contract)."""
        self.pusher = PushSender(url, secret, store_code=self.store_code)

    def save(self, name: str, record: dict, event: str = "updated") -> dict:
        self.advance(1)
        record = {**record, "updated_at": iso(self.clock_us)} if name != "pickup_points" else record
        self.overlays[name].edits[record["id"]] = (self.clock_us, record)
        self._notify(f"{RECORD_KINDS[name]}.{event}", record)
        return copy.deepcopy(record)

    def backdate(self, name: str, record: dict, seconds: float) -> dict:
        """List the record as changed now, with its own updated_at `seconds` earlier than it was; no push."""
        self.advance(1)
        last = to_us(datetime.fromisoformat(record["updated_at"].replace("Z", "+00:00")))
        record = {**record, "updated_at": iso(last - int(seconds * 1_000_000))}
        self.overlays[name].edits[record["id"]] = (self.clock_us, record)
        return copy.deepcopy(record)

    def delete(self, name: str, record_id: str) -> bool:
        if self.get(name, record_id) is None:
            return False
        self.advance(1)
        self.overlays[name].edits.pop(record_id, None)
        self.overlays[name].deleted[record_id] = self.clock_us
        self._notify(f"{RECORD_KINDS[name]}.deleted", {"id": record_id})
        return True

    def _notify(self, event_type: str, data: dict) -> None:
        if self.pusher is not None:
            self.pusher.send(event_type, data, occurred_at=self.now)

    def update_customer(self, customer_id: str, changes: dict) -> dict | None:
        customer = self.get("customers", customer_id)
        if customer is None:
            return None
        allowed = {"email", "first_name", "last_name", "phone", "accepts_marketing", "note", "tags", "company_id"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"cannot change {', '.join(sorted(unknown))}")
        return self.save("customers", {**customer, **changes})

    def set_consent(self, customer_id: str, consent: dict) -> tuple[dict, bool] | None:
        """Record a consent change sent to the store; the latest `changed_at` wins, an older one is not applied.

        Returns (the customer's consent now, whether this change was applied); None for an unknown customer.
        """
        customer = self.get("customers", customer_id)
        if customer is None:
            return None
        current = customer.get("consent") or {}
        if current.get("changed_at") and datetime.fromisoformat(current["changed_at"]) >= datetime.fromisoformat(
                consent["changed_at"]):
            return current, False
        saved = self.save("customers", {**customer, "consent": consent,
                                        "accepts_marketing": consent["marketing_email"] == "granted"})
        return saved["consent"], True

    def visitor_histories(self) -> dict[str, list[dict]]:
        """hutk -> the page views HubSpot's tracking code saw before that visitor's tracked checkouts."""
        histories: dict[str, list[dict]] = {}
        for order in self.iter_raw("orders"):
            tracking = order.get("tracking")
            if tracking and order.get("created_at") and tracking.get("hutk") not in histories:
                created = to_us(datetime.fromisoformat(order["created_at"]))
                histories[tracking["hutk"]] = self.gen.visits(tracking["hutk"], created)
        return histories

    def update_company(self, company_id: str, changes: dict) -> dict | None:
        """A B2B account's legal identity edited in the back office (e.g. the same SIRET as another store's)."""
        company = self.get("companies", company_id)
        if company is None:
            return None
        unknown = set(changes) - {"name", "siret", "vat_number", "domain"}
        if unknown:
            raise ValueError(f"cannot change {', '.join(sorted(unknown))}")
        return self.save("companies", {**company, **changes})

    def create_order(self, customer_id: str | None, lines: int = 1) -> dict:
        """A brand-new order (order.created), numbered after the generated ones."""
        return self.save("orders", new_order(self, customer_id, lines), event="created")
