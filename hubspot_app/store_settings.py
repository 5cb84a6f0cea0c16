"""A store's behaviour settings, typed: built once from the `moulin_stores.settings` JSON, with every default
and every rule here, for the operator's form and for every reader (the sync, the webhook handlers)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import timedelta
from typing import Mapping

STAGE_SOURCES = ("moulin", "hubspot")
ARCHIVE, DISCONTINUE = "archive", "discontinue"
DELETION_MODES = (ARCHIVE, DISCONTINUE)
MAX_ABANDON_AFTER_HOURS = 720  # 30 days: beyond, a cart is not a lead any more
DEFAULT_ATTRIBUTION_DAYS = 30  # HubSpot dates a form submission when it arrives: older checkouts are not sent
MAX_ATTRIBUTION_DAYS = 365


class InvalidStoreSettings(ValueError):
    """A setting out of its range; the message names the setting."""


@dataclass(frozen=True)
class StoreSettings:
    recreate_deleted_deals: bool = False  # a deal deleted in HubSpot comes back at its order's next change
    stage_source: str = "moulin"  # who owns an existing deal's stage: Moulin's status, or HubSpot users
    abandon_after_hours: int = 24  # an open checkout without activity this long is an abandoned cart
    product_deletion: str = ARCHIVE  # what a product deleted in Moulin becomes in HubSpot
    paused: bool = False  # the sync leaves this store alone
    attribution: bool = True  # checkouts with HubSpot's tracking cookie are sent as form submissions
    attribution_max_age_days: int = DEFAULT_ATTRIBUTION_DAYS  # only checkouts younger than this
    consent_sync: bool = True  # marketing consent flows both ways between Moulin and HubSpot

    def __post_init__(self):
        if self.stage_source not in STAGE_SOURCES:
            raise InvalidStoreSettings(f"stage_source: choose {' or '.join(STAGE_SOURCES)}")
        hours = self.abandon_after_hours
        if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= MAX_ABANDON_AFTER_HOURS:
            raise InvalidStoreSettings(f"abandon_after_hours: a whole number of hours from 1 to {MAX_ABANDON_AFTER_HOURS}")
        if self.product_deletion not in DELETION_MODES:
            raise InvalidStoreSettings(f"product_deletion: choose {' or '.join(DELETION_MODES)}")
        days = self.attribution_max_age_days
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_ATTRIBUTION_DAYS:
            raise InvalidStoreSettings(f"attribution_max_age_days: a whole number of days from 1 to {MAX_ATTRIBUTION_DAYS}")

    @classmethod
    def of(cls, row: Mapping | None) -> "StoreSettings":
        """From the stored JSON: absent keys take their defaults, keys of no setting are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{name: value for name, value in (row or {}).items() if name in known})

    def to_row(self) -> dict:
        return asdict(self)

    @property
    def hubspot_owns_stages(self) -> bool:
        return self.stage_source == "hubspot"

    @property
    def abandon_after(self) -> timedelta:
        return timedelta(hours=self.abandon_after_hours)
