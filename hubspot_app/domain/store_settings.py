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
# Where a store's orders go in HubSpot: deals in our pipeline (the default), HubSpot's native Order object, or both
# from one read of Moulin. Orders need the optional order scopes (`config.ORDER_SCOPES`): without them a store
# that chose `orders` or `both` stays on deals (`Targets.effective`), and the settings page says why.
DEALS, ORDERS, BOTH = "deals", "orders", "both"
TARGETS = (DEALS, ORDERS, BOTH)
_TARGET_SETS = {DEALS: (DEALS,), ORDERS: (ORDERS,), BOTH: (DEALS, ORDERS)}


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
    target: str = DEALS  # deals, orders or both (see TARGETS)

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
        if self.target not in TARGETS:
            raise InvalidStoreSettings(f"target: choose {', '.join(TARGETS)} (where orders go in HubSpot)")

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

    def targets(self, orders_granted: bool) -> tuple[bool, bool]:
        """(write deals, write HubSpot orders) for this store, given whether the portal granted the order scopes.

        Without the scopes the store stays on deals whatever it chose: its orders must land somewhere.
        """
        if not orders_granted or self.target == DEALS:
            return True, False
        return self.target == BOTH, True

    def targets_added(self, new: "StoreSettings") -> bool:
        """Whether `new` sends orders to a target this one does not (its history must be backfilled there)."""
        return bool(set(_TARGET_SETS[new.target]) - set(_TARGET_SETS[self.target]))

    def targets_off(self, orders_granted: bool) -> tuple[str, ...]:
        """The targets this store no longer writes (`DEALS`, `ORDERS`), whose records its operator may archive.

        Orders are off once the choice is `deals` (carts go with them). Deals are off only when they are not
        written at all: a store that chose `orders` in a portal without the order scopes still writes deals.
        """
        deals_on, _ = self.targets(orders_granted)
        return tuple(t for t, off in ((DEALS, not deals_on), (ORDERS, self.target == DEALS)) if off)

    @property
    def abandon_after(self) -> timedelta:
        return timedelta(hours=self.abandon_after_hours)
