"""Checkout attribution: an order bought with HubSpot's tracking cookie becomes one secure form submission.

`plan` decides (pure), `service` records and sends; the sync calls `service.record_checkouts` once per batch.
See docs/attribution.md.
"""
