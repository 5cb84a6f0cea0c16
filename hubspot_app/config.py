"""Settings, read once from the environment into one immutable object.

`Config.from_env(environ)` is the only place that reads settings; everything
else receives the `Config`. A missing or malformed required setting raises
`ConfigError` naming it, so start-up stops with a message a person can act on.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from .crypto import fernet_key


INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"

# Scopes the app asks for at install. Required ones block the install if the
# user does not grant them; optional ones are asked in `optional_scope`.
REQUIRED_SCOPES = (
    "oauth",
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.objects.companies.read",
    "crm.objects.companies.write",
    "crm.objects.deals.read",
    "crm.objects.deals.write",
    "crm.objects.line_items.read",
    "crm.objects.line_items.write",
    "crm.objects.products.read",
    "crm.objects.products.write",
    "crm.schemas.contacts.read",
    "crm.schemas.contacts.write",
    "crm.schemas.companies.read",
    "crm.schemas.companies.write",
    "crm.schemas.deals.read",
    "crm.schemas.deals.write",
)
# Marketing truth (docs/attribution.md): checkout attribution needs `forms` (marketing forms API and the
# secure form submission), consent both ways the scopes of the 2026-03 communication preferences API
# (developers.hubspot.com/docs/api-reference/2026-03/communication-preferences/guide, "Scope requirements").
# Without them the app installs and syncs as before; the settings page says what it is not doing.
ATTRIBUTION_SCOPES = ("forms",)
CONSENT_SCOPES = ("subscriptions-definition-read", "subscriptions-status-read", "subscriptions-status-write")
# HubSpot's native Order object (the orders guide's "Scope requirements",
# developers.hubspot.com/docs/api-reference/latest/crm/objects/orders/guide): a store may send its orders there
# (store setting `target`); without these it stays on deals.
ORDER_SCOPES = ("crm.objects.orders.read", "crm.objects.orders.write")
# HubSpot's Cart object (the carts guide's "Scope requirements", /work/wt/commerce-facts.md): a store sending
# HubSpot orders also sends its open and abandoned checkouts as carts; without these it sends no carts.
CART_SCOPES = ("crm.objects.carts.read", "crm.objects.carts.write")
OPTIONAL_SCOPES: tuple[str, ...] = (*ATTRIBUTION_SCOPES, *CONSENT_SCOPES, *ORDER_SCOPES, *CART_SCOPES)


# developers.hubspot.com/docs/api-reference/legacy/marketing/forms/v3-legacy/submit-data-authenticated
FORMS_HOST = "https://api.hsforms.com"


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names it."""


def _required(env: Mapping[str, str], name: str) -> str:
    value = (env.get(name) or "").strip()
    if not value:
        raise ConfigError(f"{name} is required but not set")
    return value


def _url(env: Mapping[str, str], name: str, default: str | None = None) -> str:
    value = (env.get(name) or "").strip() or default
    if value is None:
        raise ConfigError(f"{name} is required but not set")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name} must be an http(s) URL, got {value!r}")
    return value.rstrip("/")


def _database_url(env: Mapping[str, str]) -> str:
    value = (env.get("DATABASE_URL") or "").strip()
    if not value:
        return f"sqlite:///{INSTANCE_DIR / 'moulin-hubspot.sqlite3'}"
    # Heroku still hands out postgres:// URLs, which SQLAlchemy 2 refuses.
    if value.startswith("postgres://"):
        value = "postgresql+psycopg://" + value[len("postgres://"):]
    elif value.startswith("postgresql://"):
        value = "postgresql+psycopg://" + value[len("postgresql://"):]
    if not value.startswith(("sqlite:", "postgresql+psycopg:")):
        raise ConfigError(f"DATABASE_URL must be a sqlite:// or postgres:// URL, got scheme {value.split(':')[0]!r}")
    return value


def _encryption_keys(env: Mapping[str, str]) -> tuple[str, ...]:
    raw = _required(env, "TOKEN_ENCRYPTION_KEYS")
    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    for position, key in enumerate(keys, start=1):
        try:
            fernet_key(key)
        except ValueError as error:
            raise ConfigError(
                f"TOKEN_ENCRYPTION_KEYS: key #{position}: {error} (make one with `openssl rand -hex 32`)"
            ) from None
    return keys


def _int(env: Mapping[str, str], name: str, default: int | None) -> int | None:
    value = (env.get(name) or "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from None


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 1:
        raise ConfigError(f"{name} must be at least 1, got {value}")
    return value


def _flag(env: Mapping[str, str], name: str) -> bool:
    return (env.get(name) or "").strip().lower() in ("1", "true", "yes")


@dataclass(frozen=True)
class Config:
    secret_key: str
    hubspot_client_id: str
    hubspot_client_secret: str = field(repr=False)
    app_base_url: str
    token_encryption_keys: tuple[str, ...] = field(repr=False)
    hubspot_app_id: int | None = None
    database_url: str = f"sqlite:///{INSTANCE_DIR / 'moulin-hubspot.sqlite3'}"
    hubspot_api_base: str = "https://api.hubapi.com"
    hubspot_auth_base: str = "https://app.hubspot.com"
    # HubSpot serves form submissions from its own host; unset: that host, or HUBSPOT_API_BASE when it is a stand-in.
    hubspot_forms_base: str | None = None
    redis_url: str | None = None
    # Tests run jobs inline; production leaves this False.
    queue_immediate: bool = False
    queue_path: str = str(INSTANCE_DIR / "queue.sqlite3")
    testing: bool = False
    # When set, /metrics answers only `Authorization: Bearer <token>` (the scraper's).
    metrics_token: str | None = field(default=None, repr=False)
    # Without a token /metrics is closed (404), unless the deployer says only a private network reaches it.
    metrics_private_listener: bool = False
    # How long an operator stays signed in: a working day, not the month a default Flask cookie lives.
    session_lifetime_hours: int = 8
    # Development only (demo, sample store, tests): let stores live on http and loopback/private addresses.
    allow_private_store_urls: bool = False
    max_stores_per_portal: int = 20
    # Bulk work (backfill, poll, reconcile) runs in slices of at most this many Moulin pages and seconds,
    # then checkpoints and re-enqueues itself, so no job holds a worker thread for long.
    sync_slice_pages: int = 20
    sync_slice_seconds: int = 60
    # How long a slice's lease presumes its worker alive (renewed after each chunk); past it, the sweep
    # resumes the job from its checkpoint.
    sync_lease_seconds: int = 300
    # Bulk slices of one portal that may run at once, whatever the number of bulk worker threads.
    bulk_jobs_per_portal: int = 1
    # Real-time pushes of one store are gathered this long after the first (or until a batch of 100 fills)
    # and synced as one batch, so a burst of edits costs one planned batch, not ~5 calls per edit.
    push_window_ms: int = 300
    # How long a SQLite writer waits for another's lock before giving up (DatabaseBusy: jobs retry, the web
    # answers 503 + Retry-After). No effect on PostgreSQL.
    sqlite_busy_timeout_ms: int = 30_000
    # During a burst (pushes arrived while the store's batch ran), the next batch gathers until its oldest push
    # is this old (or 100 are pending): fewer, fuller batches, one planned batch per second of burst.
    push_burst_window_ms: int = 1000
    # The nightly reconcile of one store stops after this long (its deals are then not archived that night).
    reconcile_store_seconds: int = 1800

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Config":
        env = os.environ if env is None else env
        return cls(
            secret_key=_required(env, "SECRET_KEY"),
            hubspot_client_id=_required(env, "HUBSPOT_CLIENT_ID"),
            hubspot_client_secret=_required(env, "HUBSPOT_CLIENT_SECRET"),
            app_base_url=_url(env, "APP_BASE_URL"),
            token_encryption_keys=_encryption_keys(env),
            hubspot_app_id=_int(env, "HUBSPOT_APP_ID", None),
            database_url=_database_url(env),
            hubspot_api_base=_url(env, "HUBSPOT_API_BASE", "https://api.hubapi.com"),
            hubspot_auth_base=_url(env, "HUBSPOT_AUTH_BASE", "https://app.hubspot.com"),
            hubspot_forms_base=_url(env, "HUBSPOT_FORMS_BASE") if (env.get("HUBSPOT_FORMS_BASE") or "").strip() else None,
            redis_url=(env.get("REDIS_URL") or "").strip() or None,
            queue_immediate=_flag(env, "QUEUE_IMMEDIATE"),
            queue_path=(env.get("QUEUE_PATH") or "").strip() or str(INSTANCE_DIR / "queue.sqlite3"),
            metrics_token=(env.get("METRICS_TOKEN") or "").strip() or None,
            metrics_private_listener=_flag(env, "METRICS_PRIVATE_LISTENER"),
            session_lifetime_hours=_positive(env, "SESSION_LIFETIME_HOURS", 8),
            allow_private_store_urls=_flag(env, "ALLOW_PRIVATE_STORE_URLS"),
            max_stores_per_portal=_positive(env, "MAX_STORES_PER_PORTAL", 20),
            sync_slice_pages=_positive(env, "SYNC_SLICE_PAGES", 20),
            sync_slice_seconds=_positive(env, "SYNC_SLICE_SECONDS", 60),
            sync_lease_seconds=_positive(env, "SYNC_LEASE_SECONDS", 300),
            bulk_jobs_per_portal=_positive(env, "BULK_JOBS_PER_PORTAL", 1),
            push_window_ms=_int(env, "PUSH_WINDOW_MS", 300),
            push_burst_window_ms=_int(env, "PUSH_BURST_WINDOW_MS", 1000),
            reconcile_store_seconds=_positive(env, "RECONCILE_STORE_SECONDS", 1800),
            sqlite_busy_timeout_ms=_positive(env, "SQLITE_BUSY_TIMEOUT_MS", 30_000),
        )

    def with_overrides(self, **changes) -> "Config":
        return replace(self, **changes)

    @property
    def forms_base(self) -> str:
        if self.hubspot_forms_base:
            return self.hubspot_forms_base
        return FORMS_HOST if self.hubspot_api_base == "https://api.hubapi.com" else self.hubspot_api_base

    @property
    def redirect_uri(self) -> str:
        return f"{self.app_base_url}/oauth/callback"
