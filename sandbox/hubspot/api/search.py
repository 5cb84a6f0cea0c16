"""CRM search endpoint: `POST /crm/v3/objects/{type}/search` (its own rate limit, applied in the gate)."""
from __future__ import annotations

from flask import Blueprint, request

from .. import search
from ..errors import HubSpotError
from ..schema import object_type
from . import body, crm, state

blueprint = Blueprint("hubspot_search", __name__)


def search_objects(object_type_name):
    search.check_body_size(request.get_data(as_text=True))
    t, service, data = object_type(object_type_name), crm(), body()
    registry = service.portal.properties
    unknown = search.unknown_properties(data, lambda name: registry.find(t.name, name) is not None)
    if unknown and state().strict:
        # Undocumented (HubSpot's docs do not say what a filter on a missing property does): the stricter
        # choice, so the app cannot come to rely on a search that silently matches nothing.
        raise HubSpotError(400, f"Property {unknown[0]!r} does not exist on {t.name}; search filters and sorts "
                                "must name existing properties", "VALIDATION_ERROR")
    records = [r for r in service.table(t).values() if not r.archived]
    graph = service.portal.associations

    def linked(record, to_type_name):
        return set(graph.targets(t.name, record.id, object_type(to_type_name).name))

    def is_enumeration(name):
        prop = registry.find(t.name, name)
        return prop is not None and prop["type"] == "enumeration"

    page, total, next_after = search.run(records, data, linked, is_enumeration)
    asked = data.get("properties")
    names = [n for n in asked if registry.find(t.name, n)] if asked else list(t.defaults)
    response = {"total": total, "results": [r.to_api(names) for r in page]}
    if next_after:
        response["paging"] = {"next": {"after": next_after}}
    return response


for _prefix in ("/crm/v3/objects", "/crm/objects/2026-03"):
    blueprint.add_url_rule(f"{_prefix}/<object_type_name>/search", view_func=search_objects, methods=["POST"],
                           endpoint=f"search_{_prefix.replace('/', '_')}")
