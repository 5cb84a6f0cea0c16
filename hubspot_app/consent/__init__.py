"""Email-marketing consent kept both ways between Moulin and HubSpot; the most recent change wins.

`domain/consent.py` decides (pure), `service` reads and writes both sides. Moulin -> HubSpot: the sync calls
`service.record_moulin_consent` per batch; HubSpot -> Moulin: the contact's opt-out webhook and the reconcile.
"""
