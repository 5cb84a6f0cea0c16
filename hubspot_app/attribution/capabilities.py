"""What the marketing features can do in a portal, from the scopes it granted; said on the settings page."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import ATTRIBUTION_SCOPES, CONSENT_SCOPES
from ..db.models import MarketingSetup
from ..db.repository import granted_scopes


@dataclass(frozen=True)
class Capabilities:
    granted: frozenset[str]
    setup: MarketingSetup | None

    @property
    def attribution_missing(self) -> list[str]:
        return [s for s in ATTRIBUTION_SCOPES if s not in self.granted]

    @property
    def consent_missing(self) -> list[str]:
        return [s for s in CONSENT_SCOPES if s not in self.granted]

    @property
    def needs_setup(self) -> bool:
        """A scope granted (at install or a later re-install) whose part of the setup is not made yet."""
        setup = self.setup
        return ((not self.attribution_missing and (setup is None or setup.checkout_form_id is None))
                or (not self.consent_missing and (setup is None or setup.subscription_type_id is None)))

    @property
    def checkout_form_id(self) -> str | None:
        return self.setup.checkout_form_id if self.setup and not self.attribution_missing else None

    @property
    def subscription_type_id(self) -> int | None:
        return self.setup.subscription_type_id if self.setup and not self.consent_missing else None


def capabilities(session: Session, portal_id: int) -> Capabilities:
    setup = session.scalar(select(MarketingSetup).where(MarketingSetup.portal_id == portal_id))
    return Capabilities(granted_scopes(session, portal_id), setup)
