"""Access tokens per portal, refreshed before they expire.

HubSpot's guidance: refresh before expiry rather than on a 401. A refresh
token must be spent by one process at a time, so the refresh is guarded by a
compare-and-swap lease on the installation row (works the same on SQLite and
PostgreSQL, and across web and worker processes): the process that sets the
lease refreshes; the others wait for the new token to appear.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from ..clock import Clock
from ..crypto import SecretCipher
from ..db import Database
from ..db.models import Installation
from ..hubspot.oauth import HubSpotOAuth, OAuthFailed, TokenSet
from ..logs import log_event

log = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(minutes=5)
LEASE = timedelta(seconds=30)
WAIT_FOR_OTHER_REFRESH_S = 15.0


class InstallationInactive(Exception):
    """The portal has not installed the app, or has uninstalled it: stop calling HubSpot for it."""

    def __init__(self, portal_id: int, reason: str):
        super().__init__(f"portal {portal_id}: {reason}")
        self.portal_id = portal_id
        self.reason = reason


class TokenBusy(Exception):
    """Another process holds the refresh lease and no fresh token appeared in time (transient)."""


def store_tokens(installation: Installation, tokens: TokenSet, cipher: SecretCipher, now: datetime) -> None:
    installation.access_token_enc = cipher.encrypt(tokens.access_token)
    installation.refresh_token_enc = cipher.encrypt(tokens.refresh_token)
    installation.access_expires_at = now + timedelta(seconds=tokens.expires_in)
    installation.refresh_lease_until = None


def mark_uninstalled(installation: Installation, reason: str, now: datetime) -> None:
    installation.status = "uninstalled"
    installation.status_reason = reason
    installation.uninstalled_at = now
    installation.access_token_enc = None
    installation.refresh_token_enc = None
    installation.access_expires_at = None
    installation.refresh_lease_until = None


class TokenService:
    def __init__(self, db: Database, cipher: SecretCipher, oauth: HubSpotOAuth, clock: Clock):
        self.db = db
        self.cipher = cipher
        self.oauth = oauth
        self.clock = clock

    def access_token(self, portal_id: int) -> str:
        deadline = time.monotonic() + WAIT_FOR_OTHER_REFRESH_S
        while True:
            token = self._fresh_token(portal_id)
            if token is not None:
                return token
            if self._take_lease(portal_id):
                return self._refresh(portal_id)
            if time.monotonic() > deadline:
                raise TokenBusy(f"portal {portal_id}: token refresh by another process did not finish")
            time.sleep(0.05)

    def _load(self, session, portal_id: int) -> Installation:
        installation = session.scalar(select(Installation).where(Installation.portal_id == portal_id))
        if installation is None:
            raise InstallationInactive(portal_id, "not installed")
        if not installation.is_active:
            raise InstallationInactive(portal_id, installation.status_reason or installation.status)
        return installation

    def _fresh_token(self, portal_id: int) -> str | None:
        with self.db.session() as session:
            installation = self._load(session, portal_id)
            expires = installation.access_expires_at
            if installation.access_token_enc and expires and expires - REFRESH_MARGIN > self.clock():
                return self.cipher.decrypt(installation.access_token_enc)
        return None

    def _take_lease(self, portal_id: int) -> bool:
        now = self.clock()
        with self.db.session() as session:
            result = session.execute(
                update(Installation)
                .where(Installation.portal_id == portal_id, Installation.status == "active",
                       or_(Installation.refresh_lease_until.is_(None), Installation.refresh_lease_until < now),
                       # Still stale: another process may have refreshed since we looked.
                       or_(Installation.access_expires_at.is_(None),
                           Installation.access_expires_at <= now + REFRESH_MARGIN))
                .values(refresh_lease_until=now + LEASE)
            )
            return result.rowcount == 1

    def _refresh(self, portal_id: int) -> str:
        with self.db.session() as session:
            refresh_token = self.cipher.decrypt(self._load(session, portal_id).refresh_token_enc)
        try:
            tokens = self.oauth.refresh(refresh_token)
        except OAuthFailed as error:
            # Commit the outcome before raising: raising inside the unit of work would roll it back.
            with self.db.session() as session:
                installation = self._load(session, portal_id)
                if error.installation_gone:
                    mark_uninstalled(installation, f"refresh refused: {error.status or error.error}", self.clock())
                else:
                    installation.refresh_lease_until = None
            if error.installation_gone:
                log_event(log, "oauth.refresh.gone", logging.WARNING, portal_id=portal_id,
                          error=error.error, status=error.status)
                raise InstallationInactive(portal_id, "HubSpot refused the refresh token") from None
            raise
        except Exception:
            with self.db.session() as session:
                self._load(session, portal_id).refresh_lease_until = None
            raise
        with self.db.session() as session:
            store_tokens(self._load(session, portal_id), tokens, self.cipher, self.clock())
        log_event(log, "oauth.refresh.ok", portal_id=portal_id, expires_in=tokens.expires_in)
        return tokens.access_token
