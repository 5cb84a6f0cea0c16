"""CRM search: HubSpot's filterGroups (OR of ANDs), sorts, query, paging and limits.

Limits and matching rules from "Search the CRM", Limitations:
https://developers.hubspot.com/docs/api-reference/2026-03/crm/search-the-crm (5 filter groups, 6 filters per
group, 18 filters in all, a request body of at most 3,000 characters, 200 per page, 10,000 per query; filters on
enumeration properties match the stored option value exactly, case included).
"""
from __future__ import annotations

import re
from typing import Callable

from .errors import HubSpotError
from .moments import parse_moment
from .portal import Record

MAX_GROUPS, MAX_FILTERS_PER_GROUP, MAX_FILTERS = 5, 6, 18
MAX_BODY_CHARS = 3000
MAX_LIMIT, MAX_RESULTS = 200, 10_000
OPERATORS = {"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY",
             "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"}
QUERY_PROPERTIES = ("firstname", "lastname", "email", "phone", "company", "name", "domain", "dealname",
                    "hs_sku", "description", "hs_order_name")


def check_body_size(raw: str) -> None:
    if len(raw) > MAX_BODY_CHARS:
        raise HubSpotError(400, f"The search request body is {len(raw)} characters long, the maximum is "
                                f"{MAX_BODY_CHARS}", "VALIDATION_ERROR")


def check_request(body: dict) -> None:
    groups = body.get("filterGroups") or []
    if len(groups) > MAX_GROUPS:
        raise HubSpotError(400, f"Too many filter groups: {len(groups)} provided, the maximum is {MAX_GROUPS}",
                           "VALIDATION_ERROR")
    total = 0
    for group in groups:
        filters = group.get("filters") or []
        total += len(filters)
        if len(filters) > MAX_FILTERS_PER_GROUP:
            raise HubSpotError(400, f"Too many filters in a filter group: {len(filters)} provided, the maximum "
                                    f"is {MAX_FILTERS_PER_GROUP}", "VALIDATION_ERROR")
        for item in filters:
            if item.get("operator") not in OPERATORS:
                raise HubSpotError(400, f"Unknown operator {item.get('operator')}", "VALIDATION_ERROR")
            if not item.get("propertyName"):
                raise HubSpotError(400, "propertyName is required in every filter", "VALIDATION_ERROR")
    if total > MAX_FILTERS:
        raise HubSpotError(400, f"Too many filters: {total} provided, the maximum is {MAX_FILTERS}",
                           "VALIDATION_ERROR")
    sorts = body.get("sorts") or []
    if len(sorts) > 1:
        # "Only one sort" (HUBSPOT-FACTS; not found in the stored docs): the stricter choice.
        raise HubSpotError(400, f"Only one sort is allowed, {len(sorts)} provided", "VALIDATION_ERROR")
    limit, after = _integer(body, "limit", 10), _integer(body, "after", 0)
    if not 1 <= limit <= MAX_LIMIT:
        raise HubSpotError(400, f"limit must be between 1 and {MAX_LIMIT}", "VALIDATION_ERROR")
    if after + limit > MAX_RESULTS:
        raise HubSpotError(400, f"Search results are limited to {MAX_RESULTS} records per query",
                           "VALIDATION_ERROR")


def _integer(body: dict, name: str, default: int) -> int:
    try:
        return int(body.get(name) or default)
    except (TypeError, ValueError):
        raise HubSpotError(400, f"{name} must be an integer, got {body.get(name)!r}", "VALIDATION_ERROR") from None


def unknown_properties(body: dict, exists: Callable[[str], bool]) -> list[str]:
    """Properties a search filters or sorts on that the object type does not have (strict mode refuses them)."""
    named = [f.get("propertyName") or "" for g in body.get("filterGroups") or [] for f in g.get("filters") or []]
    named += [_sort_key(sort)[0] for sort in body.get("sorts") or []]
    return [n for n in dict.fromkeys(named)
            if n and n != "hs_object_id" and not n.startswith("associations.") and not exists(n)]


def _value(record: Record, name: str) -> str | None:
    if name == "hs_object_id":
        return record.id
    value = record.properties.get(name)
    return value if value not in (None, "") else None


def _comparable(text: str):
    """Numbers and dates compare as numbers (dates as epoch ms); everything else case-insensitively."""
    try:
        return 0, float(text)
    except (TypeError, ValueError):
        pass
    moment = parse_moment(str(text))
    if moment is not None:
        return 0, moment.timestamp() * 1000
    return 1, str(text).lower()


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[^\w@.\-]+|[\s]", text.lower()) if t]


def _token_match(value: str, pattern: str) -> bool:
    regex = re.compile("^" + re.escape(pattern.lower()).replace(r"\*", ".*") + "$")
    return any(regex.match(token) for token in _tokens(value) + [value.lower()])


Linked = Callable[[Record, str], set[str]]  # (record, object type name) -> ids of associated records
IsEnumeration = Callable[[str], bool]  # property name -> is it an enumeration (compared exactly)?


def _no_links(record: Record, type_name: str) -> set[str]:
    return set()


def _no_enumerations(name: str) -> bool:
    return False


def matches(record: Record, item: dict, linked: Linked = _no_links,
            is_enumeration: IsEnumeration = _no_enumerations) -> bool:
    name = item["propertyName"]
    if name.startswith("associations."):
        return _matches_association(record, item, linked)
    op, value = item["operator"], _value(record, name)
    if is_enumeration(name) and op in ("EQ", "NEQ", "IN", "NOT_IN"):
        return _matches_option(op, value, item)
    if op == "HAS_PROPERTY":
        return value is not None
    if op == "NOT_HAS_PROPERTY":
        return value is None
    if op in ("IN", "NOT_IN"):
        values = {_comparable(v) for v in item.get("values") or []}
        inside = value is not None and _comparable(value) in values
        return inside if op == "IN" else not inside
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        found = value is not None and _token_match(value, str(item.get("value", "")))
        return found if op == "CONTAINS_TOKEN" else not found
    if op == "NEQ":
        return value is None or _comparable(value) != _comparable(str(item.get("value")))
    if value is None:
        return False
    mine = _comparable(value)
    if op == "BETWEEN":
        return _comparable(str(item.get("value"))) <= mine <= _comparable(str(item.get("highValue")))
    other = _comparable(str(item.get("value")))
    return {"EQ": mine == other, "LT": mine < other, "LTE": mine <= other, "GT": mine > other,
            "GTE": mine >= other}[op]


def _matches_option(op: str, value: str | None, item: dict) -> bool:
    """An enumeration holds option values (ids such as `appointmentscheduled`): equal only when identical."""
    wanted = {str(v) for v in (item.get("values") or [])} if op in ("IN", "NOT_IN") else {str(item.get("value"))}
    inside = value is not None and value in wanted
    return inside if op in ("EQ", "IN") else not inside


def _matches_association(record: Record, item: dict, linked: Linked) -> bool:
    """`associations.contact EQ 123`: HubSpot's filter on records associated with a given record."""
    ids = linked(record, item["propertyName"].split(".", 1)[1])
    op = item["operator"]
    wanted = {str(v) for v in (item.get("values") or [item.get("value")]) if v is not None}
    if op in ("EQ", "IN"):
        return bool(ids & wanted)
    if op in ("NEQ", "NOT_IN"):
        return not ids & wanted
    if op == "HAS_PROPERTY":
        return bool(ids)
    if op == "NOT_HAS_PROPERTY":
        return not ids
    raise HubSpotError(400, f"Operator {op} is not supported on {item['propertyName']}", "VALIDATION_ERROR")


def _sort_key(sort) -> tuple[str, bool]:
    if isinstance(sort, str):
        return sort.lstrip("-"), sort.startswith("-")
    return sort.get("propertyName", "hs_object_id"), str(sort.get("direction", "ASCENDING")).upper() == "DESCENDING"


def run(records: list[Record], body: dict, linked: Linked = _no_links,
        is_enumeration: IsEnumeration = _no_enumerations) -> tuple[list[Record], int, str | None]:
    """Matching records for one page, the total, and the next `after` cursor."""
    check_request(body)
    groups = body.get("filterGroups") or []
    query = (body.get("query") or "").strip().lower()
    hits = [r for r in records
            if (not groups or any(all(matches(r, f, linked, is_enumeration) for f in g.get("filters") or []) for g in groups))
            and (not query or any(query in (r.properties.get(p) or "").lower() for p in QUERY_PROPERTIES))]
    hits.sort(key=lambda r: int(r.id))
    for sort in reversed(body.get("sorts") or []):
        name, descending = _sort_key(sort)
        hits.sort(key=lambda r: (_value(r, name) is None, _comparable(_value(r, name) or "")), reverse=descending)
    limit, after = _integer(body, "limit", 10), _integer(body, "after", 0)
    page = hits[after:after + limit]
    next_after = str(after + limit) if after + limit < len(hits) else None
    return page, len(hits), next_after
