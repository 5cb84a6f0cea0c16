"""Typed access to what `create_app` wires, for views, services and tasks inside an app context."""
from __future__ import annotations

from flask import current_app

from .clock import Clock
from .config import Config
from .crypto import SecretCipher
from .db import Database
from .jobs import JobQueue


def config() -> Config:
    return current_app.extensions["moulin.config"]


def db() -> Database:
    return current_app.extensions["moulin.db"]


def cipher() -> SecretCipher:
    return current_app.extensions["moulin.cipher"]


def jobs() -> JobQueue:
    return current_app.extensions["moulin.jobs"]


def clock() -> Clock:
    return current_app.extensions["moulin.clock"]


def oauth():
    from .hubspot.oauth import HubSpotOAuth

    return HubSpotOAuth(config())


def tokens():
    """The per-portal access-token source every HubSpot call goes through."""
    from .install.tokens import TokenService

    return TokenService(db(), cipher(), oauth(), clock())
