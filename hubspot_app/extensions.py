"""Typed access to what `create_app` wires, for views, services and tasks inside an app context."""
from __future__ import annotations

from flask import current_app

from .clock import Clock
from .config import Config
from .crypto import SecretCipher
from .db import Database
from .jobs import JobQueue
from .moulin.address_guard import AddressPolicy, system_resolver



def config() -> Config:
    return current_app.extensions["moulin.config"]


def db() -> Database:
    return current_app.extensions["moulin.db"]


def webhook_inbox() -> Database:
    """Where the receiver stores deliveries as received: the app's database, or its own file beside a SQLite one."""
    return current_app.extensions["moulin.webhook_inbox"]


def cipher() -> SecretCipher:
    return current_app.extensions["moulin.cipher"]


def jobs() -> JobQueue:
    return current_app.extensions["moulin.jobs"]


def clock() -> Clock:
    return current_app.extensions["moulin.clock"]


def store_address_policy() -> AddressPolicy:
    """Where calls to stores may go: public https only, unless ALLOW_PRIVATE_STORE_URLS (development)."""
    return AddressPolicy(config().allow_private_store_urls,
                         current_app.extensions["moulin.adapters"].store_resolver or system_resolver)


def oauth():
    from .hubspot.oauth import HubSpotOAuth

    return HubSpotOAuth(config())


def tokens():
    """The per-portal access-token source every HubSpot call goes through."""
    from .install.tokens import TokenService

    return TokenService(db(), cipher(), oauth(), clock())
