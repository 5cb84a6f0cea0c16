"""Every table, one module per area. Importing this package registers them all."""
from .card import CardOrder
from .card_refresh import CardRefresh
from .installs import Installation
from .jobs import BulkJob
from .links import ObjectLink
from .marketing import AttributionSubmission, ConsentState, MarketingSetup
from .moulin_events import MoulinEvent
from .operator_sessions import OperatorSession, SpentToken
from .store_links import StoreLink
from .stores import MoulinStore
from .usage import HubSpotUsage
from .sync import OpenCheckout, PortalSetup, SyncCheckpoint, SyncedCustomer, SyncedOrder, SyncError
from .webhooks import DealStageChange, HubSpotObjectState, PendingAssociation, SyncConflict, WebhookEvent

__all__ = [
    "AttributionSubmission", "ConsentState", "MarketingSetup",
    "BulkJob", "CardOrder", "CardRefresh", "DealStageChange", "HubSpotObjectState", "HubSpotUsage", "Installation",
    "MoulinEvent",
    "MoulinStore", "ObjectLink", "OpenCheckout", "OperatorSession", "PendingAssociation", "PortalSetup",
    "SpentToken", "StoreLink", "SyncCheckpoint", "SyncConflict", "SyncError", "SyncedCustomer", "SyncedOrder",
    "WebhookEvent",
]
