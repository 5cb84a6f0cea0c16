"""Plan CRM searches that stay inside HubSpot's limits by construction (pure: no I/O).

"Search the CRM", Limitations (https://developers.hubspot.com/docs/api-reference/2026-03/crm/search-the-crm):
at most 5 filter groups, 6 filters per group, 18 filters in all, and a request body of at most 3,000
characters; beyond them HubSpot answers 400 VALIDATION_ERROR. A search for records matching every filter,
one of which is a long `IN` list, becomes several request bodies, each repeating the other filters beside one
chunk of the list: the union of their matches is the whole answer, which the caller merges by id.
"""
from __future__ import annotations

import json

MAX_FILTERS_PER_GROUP, MAX_BODY_CHARS = 6, 3000  # one group of at most 6 is within 5 groups / 18 filters
# Room kept for the `after` cursor that later pages add to the same body.
_AFTER_PLACEHOLDER = "9" * 24


class SearchTooBig(ValueError):
    """The filters cannot fit one HubSpot search group however the list is split (a bug in the caller)."""


def _size(body: dict) -> int:
    # The SDK serialises with json.dumps' default separators; measure the same text HubSpot receives.
    return len(json.dumps(body))


def plan_search(filters: list[dict], properties: list[str], limit: int = 200) -> list[dict]:
    """Request bodies (without `after`) whose results, merged by id, are the records matching every filter."""
    lists = [f for f in filters if f.get("operator") == "IN"]
    chunked = max(lists, key=lambda f: len(f.get("values") or []), default=None)
    base = [f for f in filters if f is not chunked]

    def body(groups: list[list[dict]]) -> dict:
        return {"filterGroups": [{"filters": g} for g in groups], "properties": properties, "limit": limit,
                "after": _AFTER_PLACEHOLDER, "sorts": []}

    if chunked is None:
        _check(base, body([base]))
        return [_without_after(body([base]))]
    if len(base) + 1 > MAX_FILTERS_PER_GROUP:
        raise SearchTooBig(f"{len(base) + 1} filters in one group, HubSpot allows {MAX_FILTERS_PER_GROUP}")
    name = chunked["propertyName"]
    values = [str(v) for v in dict.fromkeys(chunked.get("values") or [])]

    def group(chunk: list[str]) -> list[dict]:
        return base + [{"propertyName": name, "operator": "IN", "values": chunk}]

    # One group per request: the 3,000 characters are shared by every group of a body, so a second group
    # (repeating the other filters) would only carry fewer values than the first could.
    chunks: list[list[str]] = []
    for value in values:
        if chunks and _size(body([group(chunks[-1] + [value])])) <= MAX_BODY_CHARS:
            chunks[-1].append(value)
            continue
        if _size(body([group([value])])) > MAX_BODY_CHARS:
            raise SearchTooBig(f"the value {value[:40]!r} of {name} does not fit a {MAX_BODY_CHARS}-character "
                               "search body")
        chunks.append([value])
    return [_without_after(body([group(chunk)])) for chunk in chunks]


def _check(filters: list[dict], planned: dict) -> None:
    if len(filters) > MAX_FILTERS_PER_GROUP:
        raise SearchTooBig(f"{len(filters)} filters in one group, HubSpot allows {MAX_FILTERS_PER_GROUP}")
    if _size(planned) > MAX_BODY_CHARS:
        raise SearchTooBig(f"the search body is over {MAX_BODY_CHARS} characters")


def _without_after(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "after"}
