"""The app factory: `create_app()` builds the web app and the worker's app alike (nothing runs at import)."""
from __future__ import annotations

from datetime import timedelta
from typing import Mapping

from flask import Flask

from .bootstrap import Adapters
from .clock import Clock, system_clock
from .config import Config
from .crypto import SecretCipher
from .db import Database
from .jobs import BULK_QUEUE, JobQueue, make_huey
from .logs import configure_logging
from .metrics import flush_usage
from .webhooks.inbox import open_inbox


def create_app(config: Config | Mapping[str, str] | None = None, clock: Clock | None = None,
               adapters: Adapters | None = None) -> Flask:
    """Build the app. `config` is a Config, a mapping read like the environment, or None for os.environ.

    `clock` replaces the system clock (tests, time-scaled demo); `adapters` the outside world (bootstrap.py)."""
    if not isinstance(config, Config):
        config = Config.from_env(config)
    configure_logging()

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=config.secret_key,
        TESTING=config.testing,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.app_base_url.startswith("https://"),
        # Flask accepts a signed session cookie for 31 days by default; no cookie of ours outlives a session.
        PERMANENT_SESSION_LIFETIME=timedelta(hours=config.session_lifetime_hours),
    )
    app.extensions["moulin.config"] = config
    app.extensions["moulin.clock"] = clock = clock or system_clock
    app.extensions["moulin.db"] = database = Database(config.database_url, clock, config.sqlite_busy_timeout_ms)
    app.extensions["moulin.webhook_inbox"] = open_inbox(database, clock, config.sqlite_busy_timeout_ms)
    app.extensions["moulin.cipher"] = SecretCipher(config.token_encryption_keys)
    app.extensions["moulin.adapters"] = adapters or Adapters()
    app.extensions["moulin.jobs"] = JobQueue(app, make_huey(config), make_huey(config, BULK_QUEUE))

    from .web import register_blueprints
    from .jobs.registry import register_tasks

    register_blueprints(app)
    register_tasks(app.extensions["moulin.jobs"])
    # HubSpot calls this process made (a card refresh, an uninstall) join the shared usage counts.
    app.before_request(lambda: flush_usage(app.extensions["moulin.db"]))
    return app
