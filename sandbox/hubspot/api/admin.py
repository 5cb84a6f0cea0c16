"""Sandbox-only admin endpoints (loopback, no auth): portals, tokens, user actions, clock, faults, request log."""
from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for

from .. import user_actions
from ..marketing import Visit
from ..errors import HubSpotError
from . import body, state

blueprint = Blueprint("hubspot_sandbox_admin", __name__, url_prefix="/_sandbox")
PAGE_ROWS = 200  # the page lists the most recent records; the JSON endpoints reach all of them


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


@blueprint.get("/portals/<int:portal_id>/page")
def user_page(portal_id):
    """A small page where a person acts as a HubSpot user: merge, delete a deal, change an email or a stage."""
    return _page(portal_id, done=request.args.get("done"))


@blueprint.post("/portals/<int:portal_id>/user-actions")
def user_action(portal_id):
    """`{action, ...fields}` as JSON (answers JSON) or as the page's form (answers the page again)."""
    as_form = not request.is_json
    fields = request.form.to_dict() if as_form else body()
    try:
        message = user_actions.perform(state(), portal_id, fields.get("action", ""), fields)
    except HubSpotError as error:
        if not as_form:
            raise
        return _page(portal_id, error=error.message), error.http_status
    if as_form:
        return redirect(url_for(".user_page", portal_id=portal_id, done=message), 303)
    return {"message": message}


def _page(portal_id: int, done: str | None = None, error: str | None = None) -> str:
    def recent(type_name):
        live = [r for r in state().objects(portal_id, type_name).values() if not r.archived]
        return sorted(live, key=lambda r: int(r.id), reverse=True)[:PAGE_ROWS]

    contacts = [{"id": r.id, "email": r.properties.get("email") or "",
                 "name": " ".join(filter(None, (r.properties.get("firstname"), r.properties.get("lastname"))))}
                for r in recent("contacts")]
    deals = [{"id": r.id, "name": r.properties.get("dealname") or "", "pipeline": r.properties.get("pipeline") or "",
              "stage": r.properties.get("dealstage") or ""} for r in recent("deals")]
    return render_template("user_page.html", portal_id=portal_id, contacts=contacts, deals=deals, done=done,
                           error=error, action_url=url_for(".user_action", portal_id=portal_id))


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


@blueprint.post("/portals/<int:portal_id>/visits")
def record_visits(portal_id):
    """`{"hutk", "visits": [{"url", "at" (ms), "source", "drillDown1"}]}`: what the tracking code saw."""
    data = body()
    hutk = str(data.get("hutk") or "")
    try:
        visits = [Visit(str(v["url"]), int(v["at"]), str(v.get("source") or "DIRECT_TRAFFIC"),
                        str(v.get("drillDown1") or "")) for v in data.get("visits") or []]
    except (KeyError, TypeError, ValueError):
        raise HubSpotError(400, "each visit needs url and at (epoch ms)", "VALIDATION_ERROR") from None
    state().record_visits(portal_id, hutk, visits)
    return Response(status=204)


@blueprint.get("/portals/<int:portal_id>/submissions")
def list_submissions(portal_id):
    return {"results": list(state().marketing_of(portal_id).submissions)}


@blueprint.post("/portals/<int:portal_id>/subscriptions")
def user_set_subscription(portal_id):
    """The contact itself unsubscribes or resubscribes: `{"email", "subscriptionId", "status"}`, or opts out of
    all email: `{"email", "unsubscribeAll": true}`."""
    data = body()
    if data.get("unsubscribeAll"):
        return {"results": state().user_unsubscribe_all(portal_id, str(data.get("email") or ""))}
    return state().user_set_subscription(portal_id, str(data.get("email") or ""),
                                         int(data.get("subscriptionId") or 0), str(data.get("status") or ""))
