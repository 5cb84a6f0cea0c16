"""Typed access to what `create_app` wires, for views, services and tasks inside an app context."""
from __future__ import annotations

from flask import current_app

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
