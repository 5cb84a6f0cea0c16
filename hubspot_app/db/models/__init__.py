"""Every table, one module per area. Importing this package registers them all."""
from .installs import Installation
from .stores import MoulinStore
from .links import ObjectLink
from .card import CardOrder
from .moulin_events import MoulinEvent
from .sync import PortalSetup, SyncError, SyncCheckpoint, SyncedOrder
from .webhooks import DealStageChange, HubSpotObjectState, PendingAssociation, SyncConflict, WebhookEvent  # noqa: F401

__all__ = ["Installation", "MoulinStore", "ObjectLink", "CardOrder", "MoulinEvent"]
