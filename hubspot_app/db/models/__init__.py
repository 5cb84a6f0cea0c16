"""Every table, one module per area. Importing this package registers them all."""
from .installs import Installation
from .stores import MoulinStore
from .links import ObjectLink
from .card import CardOrder

__all__ = ["Installation", "MoulinStore", "ObjectLink", "CardOrder"]
from .sync import PortalSetup, SyncError, SyncCheckpoint, SyncedOrder  # noqa: E402
