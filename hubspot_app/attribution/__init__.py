"""Checkout attribution: an order bought with HubSpot's tracking cookie becomes one secure form submission.

`domain/attribution.py` decides (pure), `service` records and sends (its job: `jobs/marketing_tasks.py`);
the sync calls `service.record_checkouts` once per batch.
See docs/attribution.md.
"""
