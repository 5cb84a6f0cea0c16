"""HTTP views of the HubSpot sandbox, one blueprint per API family; shared request helpers here."""
from __future__ import annotations

from flask import current_app, g, request

from ..errors import HubSpotError

MAX_BATCH_INPUTS = 100


def state():
    return current_app.extensions["hubspot_sandbox"]


def crm():
    return state().crm(g.portal_id)


def body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise HubSpotError(400, "Invalid input JSON: request body must be a JSON object", "VALIDATION_ERROR")
    return data


def flag(name: str) -> bool:
    return request.args.get(name, "false").lower() == "true"


def list_param(name: str) -> list[str] | None:
    """`?properties=a,b&properties=c` -> [a, b, c]; None when absent."""
    values = request.args.getlist(name)
    if not values:
        return None
    return [v for item in values for v in item.split(",") if v]


def int_param(name: str, default: int, maximum: int) -> int:
    raw = request.args.get(name)
    try:
        value = default if raw is None else int(raw)
    except ValueError:
        raise HubSpotError(400, f"{name} must be an integer", "VALIDATION_ERROR") from None
    if value < 1 or value > maximum:
        raise HubSpotError(400, f"{name} must be between 1 and {maximum}", "VALIDATION_ERROR")
    return value


def batch_inputs(data: dict, limit: int = MAX_BATCH_INPUTS) -> list:
    inputs = data.get("inputs")
    if not isinstance(inputs, list):
        raise HubSpotError(400, "Invalid input JSON: inputs is required", "VALIDATION_ERROR")
    if len(inputs) > limit:
        raise HubSpotError(400, f"Batch input cannot contain more than {limit} inputs, {len(inputs)} provided",
                           "VALIDATION_ERROR", context={"limit": [str(limit)]})
    return inputs


def reject_duplicate_ids(ids: list[str]) -> None:
    seen, duplicates = set(), []
    for value in ids:
        if value in seen and value not in duplicates:
            duplicates.append(value)
        seen.add(value)
    if duplicates:
        raise HubSpotError(400, f"Duplicate IDs found in batch input: [{', '.join(duplicates)}]. IDs must be unique",
                           "VALIDATION_ERROR", context={"ids": duplicates})


def batch_response(results: list, errors: list, started_at: str, clock) -> tuple[dict, int]:
    """HubSpot's BatchResponse; the status code is left to the caller (201/200, 207 with errors)."""
    response = {"status": "COMPLETE", "results": results, "startedAt": started_at, "completedAt": clock.iso()}
    if errors:
        response["numErrors"] = len(errors)
        response["errors"] = errors
    return response, len(errors)
