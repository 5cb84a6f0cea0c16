"""HubSpot webhooks: receive (verify, keep the delivery as received, enqueue) and process (parse, store, and
idempotent, order-safe handlers).

Flow: `web/hubspot_webhooks.py` -> `intake.receive` (the inbox, `inbox.py`) -> queue `webhooks.process_inbox`
-> `processing.process_inbox` (`intake.accept_deliveries`, then `handlers`).
"""
