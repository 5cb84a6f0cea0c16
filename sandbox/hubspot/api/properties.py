"""Properties v3: property groups and property definitions per object type."""
from __future__ import annotations

from flask import Blueprint, Response, g

from ..schema import object_type
from . import batch_inputs, batch_response, body, flag, state

blueprint = Blueprint("hubspot_properties", __name__, url_prefix="/crm/v3/properties/<object_type_name>")


def registry():
    return state().portal(g.portal_id).properties


@blueprint.get("")
def list_properties(object_type_name):
    return {"results": registry().list(object_type(object_type_name).name, flag("archived"))}


@blueprint.post("")
def create_property(object_type_name):
    return registry().create(object_type(object_type_name).name, body()), 201


@blueprint.get("/<name>")
def get_property(object_type_name, name):
    return registry().get(object_type(object_type_name).name, name)


@blueprint.patch("/<name>")
def update_property(object_type_name, name):
    return registry().update(object_type(object_type_name).name, name, body())


@blueprint.delete("/<name>")
def archive_property(object_type_name, name):
    registry().archive(object_type(object_type_name).name, name)
    return Response(status=204)


@blueprint.post("/batch/create")
def batch_create_properties(object_type_name):
    type_name, started = object_type(object_type_name).name, state().clock.iso()
    results = registry().create_many(type_name, batch_inputs(body()))
    response, _ = batch_response(results, [], started, state().clock)
    return response, 201


@blueprint.post("/batch/read")
def batch_read_properties(object_type_name):
    type_name, started = object_type(object_type_name).name, state().clock.iso()
    found = [registry().find(type_name, item.get("name", "")) for item in batch_inputs(body())]
    response, _ = batch_response([p for p in found if p], [], started, state().clock)
    return response, 200


@blueprint.post("/batch/archive")
def batch_archive_properties(object_type_name):
    type_name = object_type(object_type_name).name
    for item in batch_inputs(body()):
        registry().archive(type_name, item.get("name", ""))
    return Response(status=204)


@blueprint.get("/groups")
def list_groups(object_type_name):
    return {"results": registry().list_groups(object_type(object_type_name).name)}


@blueprint.post("/groups")
def create_group(object_type_name):
    return registry().create_group(object_type(object_type_name).name, body()), 201


@blueprint.get("/groups/<name>")
def get_group(object_type_name, name):
    return registry().get_group(object_type(object_type_name).name, name)


@blueprint.patch("/groups/<name>")
def update_group(object_type_name, name):
    return registry().update_group(object_type(object_type_name).name, name, body())


@blueprint.delete("/groups/<name>")
def archive_group(object_type_name, name):
    registry().archive_group(object_type(object_type_name).name, name)
    return Response(status=204)
