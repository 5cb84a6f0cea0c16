"""HTTP client for a Moulin back office (contract: docs/moulin-api.yaml).

One short method per endpoint; auth, timeouts, transport retries and error
mapping live in `_request` only. Retries cover transient failures only
(connection errors, timeouts, 429 honouring Retry-After, 502/503/504): a 4xx
is our mistake or the operator's, and repeating it changes nothing.
"""
from __future__ import annotations

import json
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Callable, Iterator
from urllib.parse import quote

import requests

from ..logs import log_event
from .address_guard import AddressPolicy, guarded_session
from .errors import MoulinAuthError, MoulinError, MoulinNotFound, MoulinUnavailable
from .ports import CustomerLookup
from hubspot_app.domain.records import (Company, Customer, Deletion, MarketingConsent, Order, PickupPoint, Product,
                                        RecordError, normalise_email, parse_page, parse_record)

logger = logging.getLogger(__name__)

API_KEY_HEADER = "X-Moulin-Api-Key"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_RETRY_AFTER = 60.0
# A page of 1,000 orders (`MAX_PAGE_SIZE`) is a few MB; an answer past this is not a Moulin's, and is not held in
# memory (a listing read ahead holds two pages at most).
MAX_BODY = 32_000_000
# The largest page a listing serves (docs/moulin-api.yaml, parameter `limit`): a whole history's read asks for it,
# a tenth of the requests of the default 100.
MAX_PAGE_SIZE = 1000
# The read timeout bounds each wait for bytes, not the answer: a URL trickling a byte at a time would hold a worker.
DEADLINE_S = 120.0
READ_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds())
    except (TypeError, ValueError):
        return None


ERROR_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _error_message(status: int, body: bytes) -> tuple[str, str | None]:
    """Our words for a failed answer: the status and Moulin's error code, never its text.

    The text is whatever the URL's owner chose to send (any URL an operator typed):
    it must not travel to our pages, logs or the card.
    """
    try:
        code = json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        code = None
    code = code if isinstance(code, str) and ERROR_CODE.match(code) else None
    return f"HTTP {status}" + (f" ({code})" if code else ""), code


def _iso(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("updated_since must be timezone-aware")
    return value.astimezone(timezone.utc).isoformat()


class MoulinClient:
    def __init__(self, base_url: str, api_key: str, timeout: float = 10.0, retries: int = 3,
                 policy: AddressPolicy | None = None, *, page_size: int = 100, read_ahead: bool = False,
                 backoff: float = 0.5, sleep: Callable[[float], None] = time.sleep,
                 max_body: int = MAX_BODY, deadline_s: float = DEADLINE_S):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_body = max_body
        self.deadline_s = deadline_s
        self.retries = retries
        self.page_size, self.read_ahead = page_size, read_ahead
        self.backoff = backoff
        self._sleep = sleep
        # Every call goes through the address guard; without a policy, the strict one (public https only).
        self._session = guarded_session(policy or AddressPolicy(allow_private=False))
        self._api_key = api_key

    # -- transport ---------------------------------------------------------------------------

    def _request(self, method: str, path: str, params: dict | None = None, payload: dict | None = None) -> dict:
        """`payload` is sent as JSON; only idempotent calls take one, since a transient failure re-sends it."""
        return self._decode(*self._fetch(method, path, params, payload))

    def _fetch(self, method: str, path: str, params: dict | None = None,
               payload: dict | None = None) -> tuple[int, bytes]:
        """The answer's status and body, after the retries of a transient failure."""
        url = f"{self.base_url}{path}"
        headers = {API_KEY_HEADER: self._api_key, "Accept": "application/json"}
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                # A redirect could lead the API key anywhere, past the checks of the URL the operator saved.
                response = self._session.request(method, url, params=params, json=payload, headers=headers,
                                                 timeout=self.timeout, allow_redirects=False, stream=True)
                body = self._read(response, time.monotonic())
            except READ_ERRORS as error:
                if last:
                    raise MoulinUnavailable(f"Moulin unreachable at {self.base_url}: {type(error).__name__}") from None
                self._wait(attempt, None, path, type(error).__name__)
                continue
            if response.status_code in RETRY_STATUSES:
                if last:
                    message, code = _error_message(response.status_code, body)
                    raise MoulinUnavailable(message, status=response.status_code, code=code)
                self._wait(attempt, _retry_after(response), path, response.status_code)
                continue
            return response.status_code, body
        raise AssertionError("unreachable")  # the loop always returns or raises

    def _wait(self, attempt: int, retry_after: float | None, path: str, reason) -> None:
        delay = min(retry_after, MAX_RETRY_AFTER) if retry_after is not None else self.backoff * 2 ** attempt
        log_event(logger, "moulin.request.retry", level=logging.WARNING, path=path, reason=str(reason),
                  attempt=attempt + 1, delay_s=delay)
        self._sleep(delay)

    def _read(self, response: requests.Response, started: float) -> bytes:
        """The answer's body, bounded in size and in total time."""
        chunks, size = [], 0
        try:
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > self.max_body:
                    raise MoulinError(f"HTTP {response.status_code}: the answer is larger than "
                                      f"{self.max_body:,} bytes; not read", status=response.status_code)
                if time.monotonic() - started > self.deadline_s:
                    raise requests.Timeout(f"no complete answer within {self.deadline_s:.0f} s")
                chunks.append(chunk)
        finally:
            response.close()
        return b"".join(chunks)

    @staticmethod
    def _decode(status: int, raw: bytes) -> dict:
        if 300 <= status < 400:
            raise MoulinError(f"HTTP {status}: Moulin answered with a redirect, which is not followed", status=status)
        if status < 300:
            try:
                body = json.loads(raw)
            except ValueError:
                raise MoulinError("Moulin sent a body that is not JSON", status=status) from None
            if not isinstance(body, dict):
                raise MoulinError("Moulin sent JSON that is not an object", status=status)
            return body
        message, code = _error_message(status, raw)
        if status in (401, 403):
            raise MoulinAuthError(message, status=status, code=code)
        if status == 404:
            raise MoulinNotFound(message, status=status, code=code)
        raise MoulinError(message, status=status, code=code)

    # -- records -----------------------------------------------------------------------------

    @staticmethod
    def _parse(model, raw) -> object:
        if not isinstance(raw, dict):
            return RecordError(kind=model.__name__.lower(), record_id=None,
                               errors=[f"record: expected an object, got {type(raw).__name__}"])
        return parse_record(model, raw)

    def _pages(self, path: str, model, params: dict) -> Iterator:
        """Every record of a listing, in its order. With `read_ahead`, the next page is read on a thread while this
        one's records are used: a whole history's read then works on its records while Moulin prepares the next
        ones. The caller still sees the records, and any failure, in the listing's order."""
        params = {**params, "limit": self.page_size}
        ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="moulin-page") if self.read_ahead else None
        records, cursor = self._page(path, model, params)
        try:
            while True:
                repeated = bool(cursor) and cursor == params.get("cursor")
                upcoming = None
                if cursor and not repeated:
                    params = {**params, "cursor": cursor}
                    if ahead is not None:
                        upcoming = ahead.submit(self._page, path, model, params)
                yield from records
                if repeated:
                    raise MoulinError(f"{path}: the same next_cursor twice; stopping rather than looping")
                if not cursor:
                    return
                records, cursor = upcoming.result() if upcoming else self._page(path, model, params)
        finally:
            if ahead is not None:  # a reader that stops early does not wait for a page it will not use
                ahead.shutdown(wait=False, cancel_futures=True)

    def _page(self, path: str, model, params: dict) -> tuple[list, object]:
        """One page's records (each a record or its `RecordError`) and its `next_cursor`."""
        status, raw = self._fetch("GET", path, params)
        page = parse_page(model, raw) if 200 <= status < 300 else None
        if page is not None:
            return page
        body = self._decode(status, raw)  # an error answer raises here
        if not isinstance(body.get("data"), list):
            raise MoulinError(f"{path}: page without a 'data' list")
        return [self._parse(model, record) for record in body["data"]], body.get("next_cursor")

    @staticmethod
    def _since(name: str, value: datetime | None) -> dict:
        return {} if value is None else {name: _iso(value)}

    def iter_customers(self, updated_since: datetime | None = None) -> Iterator[Customer | RecordError]:
        return self._pages("/customers", Customer, self._since("updated_since", updated_since))

    def iter_companies(self, updated_since: datetime | None = None) -> Iterator[Company | RecordError]:
        return self._pages("/companies", Company, self._since("updated_since", updated_since))

    def iter_products(self, updated_since: datetime | None = None) -> Iterator[Product | RecordError]:
        return self._pages("/products", Product, self._since("updated_since", updated_since))

    def iter_pickup_points(self) -> Iterator[PickupPoint | RecordError]:
        return self._pages("/pickup-points", PickupPoint, {})

    def iter_orders(self, updated_since: datetime | None = None) -> Iterator[Order | RecordError]:
        return self._pages("/orders", Order, self._since("updated_since", updated_since))

    def iter_deletions(self, since: datetime | None = None) -> Iterator[Deletion | RecordError]:
        return self._pages("/deletions", Deletion, self._since("since", since))

    def get_order(self, order_id: str) -> Order | RecordError:
        return self._parse(Order, self._request("GET", f"/orders/{quote(str(order_id), safe='')}"))

    def get_customer(self, customer_id: str) -> Customer | RecordError:
        return self._parse(Customer, self._request("GET", f"/customers/{quote(str(customer_id), safe='')}"))

    def lookup_customer(self, email: str) -> CustomerLookup:
        wanted = normalise_email(email)
        if not wanted:
            raise ValueError("an email is needed to look a customer up")
        body = self._request("GET", "/customers/lookup", {"email": wanted})
        result = CustomerLookup()
        for model, key, bucket in ((Customer, "customers", result.customers), (Order, "orders", result.orders)):
            for raw in body.get(key) or []:
                record = self._parse(model, raw)
                (result.errors if isinstance(record, RecordError) else bucket).append(record)
        return result

    def put_consent(self, customer_id: str, consent: MarketingConsent) -> dict:
        """Send a consent change to the store (idempotent PUT; the store keeps the latest `changed_at`)."""
        body = {"marketing_email": consent.marketing_email, "changed_at": _iso(consent.changed_at),
                "source": consent.source}
        return self._request("PUT", f"/customers/{quote(str(customer_id), safe='')}/consent", payload=body)

    def ping(self) -> dict:
        """Check the URL and the key in one cheap call ("test connection"); raises the mapped error."""
        return self._request("GET", "/ping")

    def supports(self, capability: str) -> bool:
        """Whether the store's `/ping` lists this optional capability (e.g. "hubspot_links")."""
        capabilities = self.ping().get("capabilities")
        return isinstance(capabilities, list) and capability in capabilities

    def put_hubspot_links(self, links: dict) -> dict:
        """Hand the store the HubSpot records of its orders and customers (`PUT /hubspot-links`, idempotent)."""
        return self._request("PUT", "/hubspot-links", payload=links)
