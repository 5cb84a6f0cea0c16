"""CRM search endpoint: `POST /crm/v3/objects/{type}/search` (its own rate limit, applied in the gate)."""
from __future__ import annotations

from flask import Blueprint, request

from .. import search
from ..schema import object_type
from . import body, crm

blueprint = Blueprint("hubspot_search", __name__)


def search_objects(object_type_name):
    search.check_body_size(request.get_data(as_text=True))
    t, service, data = object_type(object_type_name), crm(), body()
    records = [r for r in service.table(t).values() if not r.archived]
    graph = service.portal.associations

    def linked(record, to_type_name):
        return set(graph.targets(t.name, record.id, object_type(to_type_name).name))

    registry = service.portal.properties

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
