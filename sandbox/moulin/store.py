"""The sample Moulin store: the deterministic generator plus an in-memory overlay of edits.

Listing order is (updated_at, id). Generated records come first, in index
order; edited records leave that sequence and join the overlay with a fresh
updated_at from the store's own clock, which always runs after the generated
span, so a page is "rest of the generated range, then the overlay".
"""
from __future__ import annotations

import copy
from datetime import datetime, timezone
from itertools import chain
from typing import Iterator

from hubspot_app.domain.records import Order, normalise_email, parse_record

from .edits import new_order
from .links import LinkBook
from .formats import from_us, iso, to_us
from .generator import Generator
from .paging import Overlay, Page, Row, Window, paginate
from .pusher import PushSender

DEFAULT_START = datetime(2024, 1, 1, tzinfo=timezone.utc)
RECORD_KINDS = {"orders": "order", "customers": "customer", "companies": "company", "products": "product"}


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
        """Generated records not since edited or deleted, in index order, then the edited ones."""
        collection, overlay = self.gen.collections[name], self.overlays[name]
        window = Window.of(cursor, updated_since)
        generated = ((collection.updated_us(i), collection.id_of(i), collection.build(i))
                     for i in range(window.first_index(collection), collection.count)
                     if not overlay.touched(collection.id_of(i)) and not self._generated_deleted(name, i))
        return paginate(chain(generated, overlay.rows(window)), limit)

    def deletions_page(self, *, since: datetime | None = None, cursor: str | None = None, limit: int = 100) -> Page:
        """Generated order deletions, then the deletions made through the store, in time order."""
        window = Window.of(cursor, since)
        return paginate(chain(self._generated_deletions(window), self._deletions_by_store(window)), limit)

    def _generated_deletions(self, window: Window) -> Iterator[Row]:
        orders = self.gen.collections["orders"]
        first = 0
        if window.after is not None:
            first = min(orders.count, max(0, (window.after[0] - orders.start_us) // orders.step_us))
        if window.since_us is not None:
            first = max(first, min(orders.count, max(0, (window.since_us - orders.start_us) // orders.step_us - 1)))
        for j in range(first, orders.count):
            # Deleted after its last update, before the next order's.
            ts, record_id = orders.start_us + (j + 1) * orders.step_us - 1, orders.id_of(j)
            if self.gen.order_deleted(j) and window.admits(ts, record_id):
                yield ts, record_id, self._deletion("orders", record_id, ts)

    def _deletions_by_store(self, window: Window) -> Iterator[Row]:
        made = sorted((ts, name, rid) for name, ov in self.overlays.items() for rid, ts in ov.deleted.items())
        for ts, name, record_id in made:
            if window.admits(ts, record_id):
                yield ts, record_id, self._deletion(name, record_id, ts)

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
