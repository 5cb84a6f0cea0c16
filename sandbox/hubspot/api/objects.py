"""CRM objects v3 (and the 2026-03 date-versioned paths): basic, batch and merge endpoints."""
from __future__ import annotations

from flask import Blueprint, Response, request

from ..errors import HubSpotError, batch_item_error
from ..objects import Plan
from ..schema import object_type
from . import batch_inputs, batch_response, body, crm, flag, int_param, list_param, reject_duplicate_ids, state

blueprint = Blueprint("hubspot_objects", __name__)
PREFIXES = ("/crm/v3/objects", "/crm/objects/2026-03")


def route(rule: str, **options):
    def register(view):
        for prefix in PREFIXES:
            blueprint.add_url_rule(prefix + rule, view_func=view, **options)
        return view
    return register


def _names(t, asked: list[str] | None) -> list[str]:
    """Properties to return: those asked for that exist, else the object type's defaults."""
    registry = crm().portal.properties
    if not asked:
        return list(t.defaults)
    return [n for n in asked if registry.find(t.name, n) is not None]


def _associations_of(service, t, record, to_types: list[str] | None) -> dict:
    result = {}
    for to_name in to_types or []:
        to_t = object_type(to_name)
        links = service.portal.associations.targets(t.name, record.id, to_t.name)
        rows = [{"id": to_id, "type": f"{t.singular}_to_{to_t.singular}"}
                for to_id in sorted(links, key=int)]
        if rows:
            result[to_t.name] = {"results": rows}
    return result


@route("/<object_type_name>", methods=["GET"])
def list_objects(object_type_name):
    t, service = object_type(object_type_name), crm()
    records, next_after = service.page(t, int_param("limit", 10, 100), request.args.get("after"), flag("archived"))
    names = _names(t, list_param("properties"))
    response = {"results": [r.to_api(names) for r in records]}
    if next_after:
        response["paging"] = {"next": {"after": next_after,
                                       "link": f"{request.base_url}?after={next_after}"}}
    return response


@route("/<object_type_name>", methods=["POST"])
def create_object(object_type_name):
    t = object_type(object_type_name)
    return crm().create(t, body()).to_api(), 201


@route("/<object_type_name>/<object_id>", methods=["GET"])
def get_object(object_type_name, object_id):
    t, service = object_type(object_type_name), crm()
    record = service.get(t, object_id, request.args.get("idProperty"), flag("archived"))
    result = record.to_api(_names(t, list_param("properties")))
    associations = _associations_of(service, t, record, list_param("associations"))
    if associations:
        result["associations"] = associations
    return result


@route("/<object_type_name>/<object_id>", methods=["PATCH"])
def update_object(object_type_name, object_id):
    t = object_type(object_type_name)
    return crm().update(t, object_id, body(), request.args.get("idProperty")).to_api()


@route("/<object_type_name>/<object_id>", methods=["DELETE"])
def archive_object(object_type_name, object_id):
    crm().archive(object_type(object_type_name), object_id)
    return Response(status=204)


@route("/<object_type_name>/merge", methods=["POST"])
def merge_objects(object_type_name):
    t, data = object_type(object_type_name), body()
    if t.name not in ("contacts", "companies", "deals"):
        raise HubSpotError(400, f"Merging is not supported for {t.name}", "VALIDATION_ERROR")
    primary, merged = data.get("primaryObjectId"), data.get("objectIdToMerge")
    if not primary or not merged:
        raise HubSpotError(400, "primaryObjectId and objectIdToMerge are required", "VALIDATION_ERROR")
    return crm().merge(t, str(primary), str(merged)).to_api()


def _run_checked(plan_one, inputs: list[dict], partial: bool = True):
    """Check every input first; per-input errors give a 207 only when each failing input carries an
    `objectWriteTraceId` (HubSpot's multi-status contract); otherwise the whole call fails unwritten."""
    plans: list[Plan] = []
    failures: list[tuple[dict, HubSpotError]] = []
    pending: dict = {}
    for item in inputs:
        try:
            plans.append(plan_one(item, pending))
        except HubSpotError as error:
            failures.append((item, error))
    if failures and (not partial or any(not item.get("objectWriteTraceId") for item, _ in failures)):
        raise failures[0][1]
    errors = [batch_item_error(error, {**(error.context or {}),
                                       "objectWriteTraceId": [item["objectWriteTraceId"]]})
              for item, error in failures]
    return plans, errors


def _result(service, plan: Plan) -> dict:
    """Apply a checked write; the result echoes the input's objectWriteTraceId, as HubSpot does."""
    result = service.apply(plan).to_api()
    if plan.input.get("objectWriteTraceId"):
        result["objectWriteTraceId"] = plan.input["objectWriteTraceId"]
    return result


def _batch_answer(results, errors, started, ok_status):
    response, failed = batch_response(results, errors, started, state().clock)
    return response, 207 if failed else ok_status


@route("/<object_type_name>/batch/create", methods=["POST"])
def batch_create(object_type_name):
    t, service, started = object_type(object_type_name), crm(), state().clock.iso()
    inputs = batch_inputs(body())
    plans, errors = _run_checked(lambda item, pending: service.plan_create(t, item, pending), inputs)
    results = [_result(service, plan) for plan in plans]
    return _batch_answer(results, errors, started, 201)


@route("/<object_type_name>/batch/read", methods=["POST"])
def batch_read(object_type_name):
    t, service, started = object_type(object_type_name), crm(), state().clock.iso()
    data = body()
    ids = [str(item.get("id", "")) for item in batch_inputs(data)]
    reject_duplicate_ids(ids)
    id_property = data.get("idProperty")
    names = _names(t, data.get("properties"))
    results, missing = [], []
    for object_id in ids:
        record = service.find(t, object_id, id_property, flag("archived"))
        if record is None:
            missing.append(object_id)
        else:
            results.append(record.to_api(names))
    errors = []
    if missing:
        error = HubSpotError(404, f"Could not get some {t.label} objects, they may be deleted or not exist. "
                                  "Check that ids are valid.", "OBJECT_NOT_FOUND")
        errors.append(batch_item_error(error, {"ids": missing}))
    return _batch_answer(results, errors, started, 200)


def _plan_update(service, t, id_property):
    def plan(item, pending):
        try:
            return service.plan_update(t, str(item.get("id", "")), item, item.get("idProperty") or id_property,
                                       pending)
        except HubSpotError as error:
            if error.http_status == 404:
                raise HubSpotError(404, f"Could not get some {t.label} objects, they may be deleted or not "
                                        "exist. Check that ids are valid.", "OBJECT_NOT_FOUND",
                                   context={"ids": [str(item.get("id", ""))]}) from None
            raise
    return plan


@route("/<object_type_name>/batch/update", methods=["POST"])
def batch_update(object_type_name):
    t, service, started = object_type(object_type_name), crm(), state().clock.iso()
    inputs = batch_inputs(body())
    reject_duplicate_ids([str(item.get("id", "")) for item in inputs])
    plans, errors = _run_checked(_plan_update(service, t, request.args.get("idProperty")), inputs)
    results = [_result(service, plan) for plan in plans]
    return _batch_answer(results, errors, started, 200)


@route("/<object_type_name>/batch/upsert", methods=["POST"])
def batch_upsert(object_type_name):
    t, service, started = object_type(object_type_name), crm(), state().clock.iso()
    inputs = batch_inputs(body())
    reject_duplicate_ids([str(item.get("id", "")) for item in inputs])
    # HubSpot does no partial upserts when email is the idProperty: one bad input fails them all.
    by_email = any(item.get("idProperty") == "email" for item in inputs)
    plans, errors = _run_checked(lambda item, pending: service.plan_upsert(t, item, pending), inputs,
                                 partial=not by_email)
    results = []
    for plan in plans:
        is_new = plan.record is None
        results.append({**_result(service, plan), "new": is_new})
    return _batch_answer(results, errors, started, 200)


@route("/<object_type_name>/batch/archive", methods=["POST"])
def batch_archive(object_type_name):
    t, service = object_type(object_type_name), crm()
    ids = [str(item.get("id", "")) for item in batch_inputs(body())]
    reject_duplicate_ids(ids)
    for object_id in ids:
        service.archive(t, object_id)
    return Response(status=204)
