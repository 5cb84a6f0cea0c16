"""What the sync engine must respect about links the webhooks changed (see docs/webhooks.md).

- "deleted_in_hubspot" contact: re-create only when Moulin really changed that
  customer (its content hash differs from the link's), never on a plain resync.
- "deleted_in_hubspot" deal, HubSpot order or cart: re-create on the next Moulin change
  only when the store setting `recreate_deleted_deals` is true (default false:
  leave deleted). An order and a cart follow the deal's rule: all are the Moulin order.
- "deleted_in_hubspot" company, product, line item: re-create on the next pass.
- "vanished": gone from HubSpot with no webhook telling us (the nightly reconcile found it
  missing, `sync.drift`): re-create on the same pass, like a deal the contract lets come
  back (its old line items archived, fresh ones made); the reconcile's heal.
- "privacy_deleted": never re-create. The link's source_key is replaced by
  `privacy_tombstone(email)`, so the email itself is gone; the sync checks
  `db.repository.privacy_deleted_emails` before creating any contact.

Pure rules: no database here (the repository applies them).
"""
from __future__ import annotations

import hashlib

from hubspot_app.domain.records import normalise_email
from hubspot_app.domain.store_settings import StoreSettings

SYNCED = "synced"
DELETED_IN_HUBSPOT = "deleted_in_hubspot"
PRIVACY_DELETED = "privacy_deleted"
VANISHED = "vanished"


def privacy_tombstone(email: str) -> str:
    return "privacy:" + hashlib.sha256((normalise_email(email) or "").encode()).hexdigest()


def may_recreate(link_state: str, kind: str, store_settings: StoreSettings, moulin_changed: bool) -> bool:
    """Whether the sync may create a new HubSpot object for a link in `link_state`."""
    if link_state == PRIVACY_DELETED:
        return False
    if link_state != DELETED_IN_HUBSPOT:
        return True
    if kind == "contact":
        return moulin_changed
    if kind in ("deal", "order", "cart"):
        return moulin_changed and store_settings.recreate_deleted_deals
    return True
