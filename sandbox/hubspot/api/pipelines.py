"""Pipelines v3: pipelines and their stages (deals, and orders which start with none; no cart pipelines)."""
from __future__ import annotations

from flask import Blueprint, Response, g

from ..schema import object_type
from . import body, state

blueprint = Blueprint("hubspot_pipelines", __name__, url_prefix="/crm/v3/pipelines/<object_type_name>")


def registry():
    return state().portal(g.portal_id).pipelines


def _type(name: str) -> str:
    return object_type(name).name


@blueprint.get("")
def list_pipelines(object_type_name):
    return {"results": registry().list(_type(object_type_name))}


@blueprint.post("")
def create_pipeline(object_type_name):
    return registry().create(_type(object_type_name), body()), 201


@blueprint.get("/<pipeline_id>")
def get_pipeline(object_type_name, pipeline_id):
    return registry().get(_type(object_type_name), pipeline_id)


@blueprint.put("/<pipeline_id>")
def replace_pipeline(object_type_name, pipeline_id):
    return registry().replace(_type(object_type_name), pipeline_id, body())


@blueprint.patch("/<pipeline_id>")
def update_pipeline(object_type_name, pipeline_id):
    return registry().update(_type(object_type_name), pipeline_id, body())


@blueprint.delete("/<pipeline_id>")
def archive_pipeline(object_type_name, pipeline_id):
    registry().archive(_type(object_type_name), pipeline_id)
    return Response(status=204)


@blueprint.get("/<pipeline_id>/stages")
def list_stages(object_type_name, pipeline_id):
    stages = registry().get(_type(object_type_name), pipeline_id)["stages"]
    return {"results": [s for s in stages if not s["archived"]]}


@blueprint.post("/<pipeline_id>/stages")
def create_stage(object_type_name, pipeline_id):
    return registry().add_stage(_type(object_type_name), pipeline_id, body()), 201


@blueprint.get("/<pipeline_id>/stages/<stage_id>")
def get_stage(object_type_name, pipeline_id, stage_id):
    return registry().get_stage(_type(object_type_name), pipeline_id, stage_id)


@blueprint.put("/<pipeline_id>/stages/<stage_id>")
@blueprint.patch("/<pipeline_id>/stages/<stage_id>")
def update_stage(object_type_name, pipeline_id, stage_id):
    return registry().update_stage(_type(object_type_name), pipeline_id, stage_id, body())


@blueprint.delete("/<pipeline_id>/stages/<stage_id>")
def archive_stage(object_type_name, pipeline_id, stage_id):
    registry().archive_stage(_type(object_type_name), pipeline_id, stage_id)
    return Response(status=204)
