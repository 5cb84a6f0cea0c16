"""The install and uninstall use cases, free of Flask: views and the CLI call these."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import delete, select

from ..clock import Clock
from ..config import REQUIRED_SCOPES
from ..crypto import SecretCipher
from ..db import Base, Database
from ..db.models import Installation
from ..hubspot.oauth import HubSpotOAuth, OAuthFailed, OAuthUnavailable
from ..logs import log_event
from .tokens import InstallationInactive, TokenService, mark_uninstalled, store_tokens

log = logging.getLogger(__name__)


class InstallRefused(Exception):
    """The install cannot complete; `message` is safe to show to the person installing."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.message = message
        self.reason = reason


@dataclass(frozen=True)
class InstallResult:
    portal_id: int
    hub_domain: str | None
    user: str | None
    reinstalled: bool


def complete_install(db: Database, cipher: SecretCipher, oauth: HubSpotOAuth, clock: Clock, code: str) -> InstallResult:
    """Exchange the code, learn who installed with which scopes, and store the installation."""
    try:
        tokens = oauth.exchange_code(code)
    except OAuthFailed as error:
        raise InstallRefused(
            "HubSpot did not accept this install link (the code is invalid, expired or was already used). "
            "Start the install again from HubSpot.", f"code refused: {error.status or error.error}") from None
    except OAuthUnavailable:
        raise InstallRefused("HubSpot could not be reached to finish the install. Please try again in a minute.",
                             "hubspot unreachable") from None

    info = oauth.introspect(tokens.access_token)
    granted = set(info.scopes or tokens.scopes)
    missing = sorted(set(REQUIRED_SCOPES) - granted)
    portal_id = info.hub_id or tokens.hub_id
    if missing or not portal_id:
        # Store nothing, and leave no live token behind.
        _revoke_quietly(oauth, tokens.refresh_token)
        if missing:
            raise InstallRefused("The app needs these permissions, which were not granted: " + ", ".join(missing),
                                 "missing scopes")
        raise InstallRefused("HubSpot did not say which account installed the app.", "no hub id")

    with db.session() as session:
        installation = session.scalar(select(Installation).where(Installation.portal_id == portal_id))
        reinstalled = installation is not None
        if installation is None:
            installation = Installation(portal_id=portal_id)
            session.add(installation)
        installation.status = "active"
        installation.status_reason = None
        installation.uninstalled_at = None
        installation.hub_domain = info.hub_domain
        installation.installed_by_user_id = info.user_id
        installation.installed_by_email = info.user
        installation.scopes = " ".join(sorted(granted))
        store_tokens(installation, tokens, cipher, clock())
    log_event(log, "install.completed", portal_id=portal_id, reinstalled=reinstalled, scopes=len(granted))
    return InstallResult(portal_id=portal_id, hub_domain=info.hub_domain, user=info.user, reinstalled=reinstalled)


def _revoke_quietly(oauth: HubSpotOAuth, refresh_token: str) -> None:
    try:
        oauth.revoke(refresh_token)
    except (OAuthFailed, OAuthUnavailable) as error:
        log_event(log, "oauth.revoke.failed", logging.WARNING, error=type(error).__name__)


@dataclass(frozen=True)
class UninstallResult:
    portal_id: int
    removed_from_hubspot: bool
    purged_rows: int


def uninstall(db: Database, cipher: SecretCipher, oauth: HubSpotOAuth, clock: Clock, portal_id: int,
              purge: bool = False) -> UninstallResult:
    """Remove the app from the portal in HubSpot, revoke its tokens, then keep or purge its data."""
    removed = False
    try:
        access_token = TokenService(db, cipher, oauth, clock).access_token(portal_id)
        oauth.uninstall(access_token)
        removed = True
    except InstallationInactive:
        pass  # already gone in HubSpot or never installed: local clean-up still applies
    except (OAuthFailed, OAuthUnavailable) as error:
        log_event(log, "uninstall.hubspot_failed", logging.WARNING, portal_id=portal_id, error=str(error))

    with db.session() as session:
        installation = session.scalar(select(Installation).where(Installation.portal_id == portal_id))
        if installation is None:
            raise InstallationInactive(portal_id, "not installed")
        if installation.refresh_token_enc:
            _revoke_quietly(oauth, cipher.decrypt(installation.refresh_token_enc))
        mark_uninstalled(installation, "uninstalled by the app", clock())
    purged = purge_portal_data(db, portal_id) if purge else 0
    log_event(log, "uninstall.completed", portal_id=portal_id, removed_from_hubspot=removed, purged_rows=purged)
    return UninstallResult(portal_id=portal_id, removed_from_hubspot=removed, purged_rows=purged)


def purge_portal_data(db: Database, portal_id: int) -> int:
    """Delete every row of every table that belongs to the portal, the installation last."""
    from ..db import models  # noqa: F401  (every table registered)

    removed = 0
    with db.session() as session:
        for table in reversed(Base.metadata.sorted_tables):
            if "portal_id" in table.c and table.name != "installations":
                removed += session.execute(delete(table).where(table.c.portal_id == portal_id)).rowcount
        removed += session.execute(delete(Installation).where(Installation.portal_id == portal_id)).rowcount
    return removed
