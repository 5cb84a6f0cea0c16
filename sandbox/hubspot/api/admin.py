"""Sandbox-only admin endpoints (loopback, no auth): portals, tokens, user actions, clock, faults, request log."""
from __future__ import annotations

from flask import Blueprint, Response, request

from . import body, state

blueprint = Blueprint("hubspot_sandbox_admin", __name__, url_prefix="/_sandbox")




@blueprint.post("/portals")
def create_portal():
    data = request.get_json(silent=True) or {}
    return {"portalId": state().create_portal(data.get("hubDomain"))}, 201


@blueprint.delete("/portals/<int:portal_id>")
def delete_portal(portal_id):
    state().delete_portal(portal_id)
    return Response(status=204)


@blueprint.post("/portals/<int:portal_id>/tokens")
def issue_tokens(portal_id):
    data = request.get_json(silent=True) or {}
    return state().issue_tokens(portal_id, data.get("scopes"))


@blueprint.get("/portals/<int:portal_id>/objects/<type_name>")
def list_records(portal_id, type_name):
    records = state().objects(portal_id, type_name)
    return {"results": [r.to_api() for r in records.values()]}


@blueprint.post("/portals/<int:portal_id>/objects/<type_name>")
def user_create(portal_id, type_name):
    record = state().user_create(portal_id, type_name, body().get("properties") or {})
    return record.to_api(), 201


@blueprint.patch("/portals/<int:portal_id>/objects/<type_name>/<object_id>")
def user_update(portal_id, type_name, object_id):
    record = state().user_update(portal_id, type_name, object_id, body().get("properties") or {})
    return record.to_api()


@blueprint.delete("/portals/<int:portal_id>/objects/<type_name>/<object_id>")
def user_delete(portal_id, type_name, object_id):
    state().user_delete(portal_id, type_name, object_id)
    return Response(status=204)


@blueprint.post("/portals/<int:portal_id>/objects/<type_name>/<object_id>/restore")
def user_restore(portal_id, type_name, object_id):
    return state().user_restore(portal_id, type_name, object_id).to_api()


@blueprint.post("/portals/<int:portal_id>/objects/<type_name>/merge")
def user_merge(portal_id, type_name):
    data = body()
    record = state().user_merge(portal_id, type_name, data["primaryObjectId"], data["objectIdToMerge"])
    return record.to_api()


@blueprint.post("/portals/<int:portal_id>/contacts/<object_id>/privacy-delete")
def user_privacy_delete(portal_id, object_id):
    state().user_privacy_delete_contact(portal_id, object_id)
    return Response(status=204)


@blueprint.post("/clock/advance")
def advance_clock():
    now = state().clock.advance(float(body().get("seconds", 0)))
    return {"now": now}


@blueprint.post("/faults")
def set_faults():
    """`{"rate": f, "seed": n}` and/or `{"failNext": n, "status": s}`, `{"slowNext": n, "seconds": x}`,
    `{"dropNext": n}`, `{"clear": true}`."""
    data, faults = body(), state().faults
    if data.get("clear"):
        faults.clear()
    if "rate" in data:
        faults.set_rate(float(data["rate"]), int(data.get("seed", 0)))
    if data.get("failNext"):
        faults.fail_next(int(data["failNext"]), int(data.get("status", 503)))
    if data.get("slowNext"):
        faults.slow_next(int(data["slowNext"]), float(data.get("seconds", 1.0)))
    if data.get("dropNext"):
        faults.drop_next(int(data["dropNext"]))
    return {"rate": faults.rate}


@blueprint.get("/requests")
def request_log():
    log = state().request_log
    return {"total": log.total(), "byEndpoint": log.by_endpoint(), "requests": log.as_json()}


@blueprint.delete("/requests")
def reset_request_log():
    state().request_log.reset()
    return Response(status=204)
