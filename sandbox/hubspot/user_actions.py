"""What a person does in HubSpot's UI, by name: the admin endpoint and the sandbox's page run these.

Each action goes through `SandboxState.user_*`, so its events carry `changeSource: CRM_UI` and
`sourceId: userId:N` (the user-id form HubSpot gives for changes made in the app:
https://developers.hubspot.com/changelog/crm-property-change-source-will-show-owner-id-instead-of-owner-email).
"""
from __future__ import annotations

from .errors import HubSpotError

# action -> (required fields, what it does)
ACTIONS = {
    "merge_contacts": (("primaryObjectId", "objectIdToMerge"), "Merge two contacts"),
    "delete_deal": (("dealId",), "Delete a deal"),
    "change_email": (("contactId", "email"), "Change a contact's email"),
    "change_stage": (("dealId", "dealstage"), "Move a deal to another stage"),
}


def perform(state, portal_id: int, action: str, fields: dict) -> str:
    """Run one user action; returns a sentence saying what happened. Bad input is a 400 naming the field."""
    if action not in ACTIONS:
        raise HubSpotError(400, f"Unknown action {action!r}: one of {', '.join(ACTIONS)}", "VALIDATION_ERROR")
    required, _ = ACTIONS[action]
    values = {name: str(fields.get(name) or "").strip() for name in required}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise HubSpotError(400, f"{action}: {', '.join(missing)} is required", "VALIDATION_ERROR")
    if action == "merge_contacts":
        survivor = state.user_merge_contacts(portal_id, values["primaryObjectId"], values["objectIdToMerge"])
        return f"Contacts {values['primaryObjectId']} and {values['objectIdToMerge']} merged into {survivor.id}."
    if action == "delete_deal":
        if not state.user_delete(portal_id, "deals", values["dealId"]):
            raise HubSpotError(404, f"No deal with id {values['dealId']}", "OBJECT_NOT_FOUND")
        return f"Deal {values['dealId']} deleted."
    if action == "change_email":
        state.user_update(portal_id, "contacts", values["contactId"], {"email": values["email"]})
        return f"Contact {values['contactId']} now has email {values['email']}."
    state.user_update(portal_id, "deals", values["dealId"], {"dealstage": values["dealstage"]})
    return f"Deal {values['dealId']} moved to stage {values['dealstage']}."
