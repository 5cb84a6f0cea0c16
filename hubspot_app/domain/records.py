"""Typed, validated Moulin records: the source side of every sync.

Every record that crosses into the app is validated here. A record that fails
becomes a `RecordError` naming its id and what was wrong; the rest of a batch
goes on. Emails are normalised (trimmed, lower-cased) because the shop's data
has the same address in several cases and with stray spaces.
"""
from __future__ import annotations

import functools
from datetime import datetime, timezone
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (AfterValidator, BaseModel, ConfigDict, EmailStr, Field, TypeAdapter, ValidationError,
                      create_model, field_validator, model_validator)
from pydantic.dataclasses import dataclass

# ISO 4217 codes the shop trades in; anything else is a data error, not a new currency.
CURRENCIES = frozenset({"EUR", "CHF", "GBP", "USD", "CAD"})


# Value ranges every later step accepts, checked here so that a bad value is one record's error
# (in a pull, a push or an import alike) and never a failed batch further on:
# - dates are compared and stored in UTC, and shifted by days (abandoned checkouts): 0001-01-01+14:00 has no UTC
#   value at all. Nothing of the shop predates 1970 (exporters write 0001-01-01 for "empty"); 3000 leaves room.
# - whole numbers land in 32-bit INTEGER columns (card_orders.item_count sums an order's quantities);
# - money is Numeric(14, 2) everywhere (`Money`); ids and numbers fit their columns and the link keys
#   "<store>:<order id>:<line id>" (String(512)); card_orders.order_id/order_number are String(128).
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(3000, 1, 1, tzinfo=timezone.utc)
INT32_MAX = 2**31 - 1
T = TypeVar("T")


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("datetime must carry a timezone offset")
    try:
        in_utc = value.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError("datetime out of range once converted to UTC") from None
    if not EARLIEST <= in_utc < LATEST:
        raise ValueError("datetime out of range (1970-01-01 to 2999-12-31 UTC)")
    return value


def _known_currency(value: str) -> str:
    if value not in CURRENCIES:
        raise ValueError(f"unknown currency {value!r}")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
Currency = Annotated[str, AfterValidator(_known_currency)]
Money = Annotated[Decimal, Field(max_digits=14, decimal_places=2)]
Count = Annotated[int, Field(ge=0, le=INT32_MAX)]
RecordId = Annotated[str, Field(max_length=128)]


# Records are pydantic dataclasses with slots, not BaseModels: a backfill holds a few thousand of them at once,
# and a model's per-instance `__dict__` and fields-set made an order weigh ~8.1 KB against ~2.8 KB (docs/sync.md).
_record = dataclass(config=ConfigDict(extra="ignore", str_strip_whitespace=True), frozen=True, slots=True,
                    kw_only=True)


def normalise_email(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().lower()
    return value or None


@_record
class Address:
    street: str | None = None
    city: str | None = None
    postcode: str | None = None
    region: str | None = None
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2")


@_record
class MarketingConsent:
    """The customer's email-marketing consent as the shop recorded it: its state, when and where it changed."""

    marketing_email: Literal["granted", "withdrawn", "unknown"] = "unknown"
    changed_at: AwareDatetime | None = None
    source: str | None = Field(default=None, max_length=64)


@_record
class TrackingContext:
    """The visitor's HubSpot tracking context at checkout (docs/attribution.md).

    The cookie value is not checked here: HubSpot decides whether it is valid, and a value
    it refuses is one order's warning, never a reason to drop the order.
    """

    hutk: str = Field(min_length=1, max_length=128)
    page_uri: str | None = Field(default=None, max_length=2048)
    page_name: str | None = Field(default=None, max_length=512)
    ip_address: str | None = Field(default=None, max_length=64)


@_record
class Customer:
    id: RecordId
    email: EmailStr | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    accepts_marketing: bool = False
    verified_email: bool = False
    tax_exempt: bool = False
    kind: Literal["b2c", "b2b"] = "b2c"
    company_id: RecordId | None = None
    addresses: list[Address] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    note: str | None = None
    orders_count: Count = 0
    consent: MarketingConsent | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime

    @field_validator("email", mode="before")
    @classmethod
    def _normalise_email(cls, value):
        return normalise_email(value) if isinstance(value, str) or value is None else value

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


@_record
class Company:
    id: RecordId
    name: str = Field(min_length=1)
    siret: str | None = None
    vat_number: str | None = None
    domain: str | None = None
    address: Address | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime


@_record
class Variant:
    id: RecordId
    sku: str = Field(min_length=1)
    title: str
    price: Money = Field(ge=0)


@_record
class Product:
    id: RecordId
    sku: str = Field(min_length=1)
    title: str = Field(min_length=1)
    description_html: str | None = None
    product_type: str | None = None
    vendor: str | None = None
    tags: list[str] = Field(default_factory=list)
    image_url: str | None = None
    price: Money = Field(ge=0)
    currency: Currency
    published_at: AwareDatetime | None = None
    variants: list[Variant] = Field(default_factory=list)
    created_at: AwareDatetime
    updated_at: AwareDatetime


@_record
class PickupPoint:
    id: RecordId
    name: str = Field(max_length=255)
    address: Address | None = None


class OrderStatus(str, Enum):
    CART = "cart"
    CHECKOUT = "checkout"
    PENDING = "pending"
    PAID = "paid"
    PROCESSING = "processing"
    READY_FOR_PICKUP = "ready_for_pickup"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


@_record
class OrderLine:
    id: RecordId
    sku: str | None = Field(default=None, max_length=255)
    product_id: RecordId | None = None
    variant_id: RecordId | None = None
    title: str
    quantity: int = Field(gt=0, le=INT32_MAX)
    unit_price: Money = Field(ge=0)
    discount: Money = Field(default=Decimal("0"), ge=0)
    tax: Money = Field(default=Decimal("0"), ge=0)


@_record
class Order:
    id: RecordId
    number: str = Field(min_length=1, max_length=128)
    store: str = Field(min_length=1, max_length=64, description="the store's code; (store, id) is the order's key")
    status: OrderStatus
    financial_status: str | None = None
    fulfillment_status: str | None = None
    currency: Currency
    subtotal: Money
    discounts: Money = Decimal("0")
    taxes: Money = Decimal("0")
    taxes_included: bool = True
    shipping: Money = Decimal("0")
    total: Money = Field(ge=0)
    refunded_amount: Money = Field(default=Decimal("0"), ge=0)
    total_weight_grams: Count | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    cancelled_at: AwareDatetime | None = None
    cancel_reason: str | None = None
    source: str | None = None
    landing_site: str | None = None
    referring_site: str | None = None
    cart_token: str | None = None
    abandoned_checkout_url: str | None = None
    pickup_point_id: RecordId | None = None
    customer_id: RecordId | None = None
    company_id: RecordId | None = None
    lines: list[OrderLine] = Field(default_factory=list)
    note: str | None = None
    tracking: TrackingContext | None = None

    @model_validator(mode="after")
    def _item_count_fits(self) -> "Order":
        if sum(line.quantity for line in self.lines) > INT32_MAX:
            raise ValueError(f"lines: the quantities add up to more than {INT32_MAX}")
        return self

    @property
    def key(self) -> str:
        """The order's unique key across stores: two stores may reuse an id or a number."""
        return f"{self.store}:{self.id}"


@_record
class Deletion:
    kind: Literal["order", "customer", "company", "product"]
    id: RecordId
    store: str | None = None
    deleted_at: AwareDatetime


class RecordError(BaseModel):
    """One record that could not be used, with where and what: shown to the operator as is."""

    kind: str
    record_id: str | None
    errors: list[str]

    def __str__(self) -> str:
        return f"{self.kind} {self.record_id or '<no id>'}: " + "; ".join(self.errors)


@functools.cache
def _adapter(model: type) -> TypeAdapter:
    return TypeAdapter(model)


def validate_record(model: type[T], raw: dict) -> T:
    """One raw record as `model`, or pydantic's ValidationError."""
    return _adapter(model).validate_python(raw)


@functools.cache
def _page_model(model: type) -> type[BaseModel]:
    # Other members of the page (a total, links) are not ours to read: ignored, as in the per-record way.
    return create_model(f"{model.__name__}Page", data=(list[model], ...), next_cursor=(Any, None))


def parse_page(model: type[T], raw: bytes) -> tuple[list[T], Any] | None:
    """A listing's page body (`{"data": [...], "next_cursor": ...}`) as its records and its cursor, parsed and
    validated in one pass by pydantic's own JSON reader: for orders, three quarters of the CPU of `json.loads`
    then each record's `validate_record` (`python -m bench.moulin_pages`).

    None when the body is not JSON, not that shape, or any of its records is invalid: the caller then reads it
    record by record, so that each bad one is named on its own. Both ways give equal records
    (tests/unit/test_moulin_page_parsing.py): Money comes as a string by contract, and a number where one is due
    is read as the same Decimal, if not always with the same digits ("1e2": 100 against 100.0), which the
    mapping writes alike ("100.00")."""
    try:
        page = _page_model(model).model_validate_json(raw)
    except ValidationError:
        return None
    return page.data, page.next_cursor


def record_json(record) -> dict:
    """A record as JSON-ready values, the shape `validate_record` reads back."""
    return _adapter(type(record)).dump_python(record, mode="json")


def parse_record(model: type[T], raw: dict) -> T | RecordError:
    """Validate one raw record; a failure names the record's id and each bad field."""
    try:
        return validate_record(model, raw)
    except ValidationError as error:
        messages = []
        for item in error.errors():
            where = ".".join(str(p) for p in item["loc"]) or "record"
            messages.append(f"{where}: {item['msg']}")
        record_id = raw.get("id") if isinstance(raw, dict) else None
        return RecordError(kind=model.__name__.lower(), record_id=str(record_id) if record_id is not None else None,
                           errors=messages)
