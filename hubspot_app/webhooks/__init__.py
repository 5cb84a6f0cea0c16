"""HubSpot webhooks: receive (verify, store, enqueue) and process (idempotent, order-safe handlers).

Flow: `web/hubspot_webhooks.py` -> `intake.accept_delivery` -> queue
`webhooks.process_delivery` -> `processing.process_delivery` -> `handlers`.
"""
