"""Which OAuth scope an API call needs, and HubSpot's 403 when the token lacks it."""
from __future__ import annotations

from .errors import HubSpotError
from .schema import object_type

SCHEMA_SCOPED = ("contacts", "companies", "deals")


# developers.hubspot.com/docs/api-reference/legacy/marketing/forms/v3-legacy/submit-data-authenticated and the
# marketing forms guide: `forms`; the 2026-03 communication preferences guide ("Scope requirements"):
# `subscriptions-definition-read` for definitions, `subscriptions-status-read` / `-write` for a contact's statuses.
MARKETING_SCOPES = (("/marketing/v3/forms", "forms", "forms"), ("/submissions/", "forms", "forms"),
                    ("/communication-preferences/2026-03/definitions", "subscriptions-definition-read", None),
                    ("/communication-preferences/2026-03/statuses/", "subscriptions-status-read",
                     "subscriptions-status-write"))


def required_scope(method: str, path: str, view_args: dict) -> str | None:
    """The granular scope for a CRM call; None where the sandbox does not check one."""
    for prefix, read, write in MARKETING_SCOPES:
        if path.startswith(prefix):
            return read if method == "GET" else write
    type_name = view_args.get("object_type_name") or view_args.get("from_type")
    if not type_name:
        return None
    try:
        name = object_type(type_name).name
    except HubSpotError:
        return None
    reading = method == "GET" or path.endswith(("/batch/read", "/search"))
    access = "read" if reading else "write"
    if path.startswith("/crm/v3/properties/"):
        return f"crm.schemas.{name}.{access}" if name in SCHEMA_SCOPED else None
    if path.startswith("/crm/v3/pipelines/"):
        return None
    return f"crm.objects.{name}.{access}"


def missing_scope(scope: str) -> HubSpotError:
    return HubSpotError(
        403, "This app hasn't been granted all required scopes to make this call. Read more about required scopes "
             "here: https://developers.hubspot.com/scopes.", "MISSING_SCOPES",
        extra={"errors": [{"message": "One or more of the following scopes are required.",
                           "context": {"requiredGranularScopes": [scope]}}],
               "links": {"scopes": "https://developers.hubspot.com/scopes"}})
