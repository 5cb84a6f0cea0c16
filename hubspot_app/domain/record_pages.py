"""Where a HubSpot record's page lives in HubSpot's app, for links from the card and from the store.

`{app host}/contacts/{portal id}/record/{object type id}/{record id}`: the shape of HubSpot's record URLs
(HubSpot's UI and the sandbox's card preview, sandbox/hubspot/api/preview.py; HubSpot's developer docs found
here document no URL form). The host is `HUBSPOT_AUTH_BASE` (app.hubspot.com; the sandbox in the demo).
Object type ids: https://developers.hubspot.com/docs/guides/crm/using-object-apis ("objects and their object
type ID values": contacts 0-1, companies 0-2, deals 0-3, orders 0-123).
"""
from __future__ import annotations

OBJECT_TYPE_IDS = {"contact": "0-1", "company": "0-2", "deal": "0-3", "order": "0-123"}


def record_url(app_host: str, portal_id: int, target: str, hubspot_id: str) -> str:
    return f"{app_host.rstrip('/')}/contacts/{portal_id}/record/{OBJECT_TYPE_IDS[target]}/{hubspot_id}"
