"""Associations v4: batch create / default / read / archive, and per-record reads and writes."""
from __future__ import annotations

from flask import Blueprint, Response, request

from ..associations import TYPES, check_spec, default_type, label_of
from ..errors import HubSpotError, batch_item_error
from ..schema import object_type
from . import batch_inputs, batch_response, body, crm, int_param, state

blueprint = Blueprint("hubspot_associations", __name__)
BATCH = "/crm/v4/associations/<from_type>/<to_type>/batch"
CREATE_LIMIT, READ_LIMIT = 2000, 1000


def _types(from_type: str, to_type: str):
    return object_type(from_type), object_type(to_type)


def _pair(t, from_id, to_t, to_id) -> dict:
    service = crm()
    specs = service.portal.associations.specs(t.name, from_id, to_t.name, to_id)
    labels = sorted(filter(None, (label_of(t.name, to_t.name, tid) for _, tid in specs)))
    return {"fromObjectTypeId": t.type_id, "fromObjectId": int(from_id), "toObjectTypeId": to_t.type_id,
            "toObjectId": int(to_id), "labels": labels}


def _associated(t, to_t, specs) -> list[dict]:
    return [{"category": category, "typeId": tid, "label": label_of(t.name, to_t.name, tid)}
            for category, tid in sorted(specs, key=lambda s: s[1])]


def _ids(item: dict) -> tuple[str, str]:
    return str((item.get("from") or {}).get("id", "")), str((item.get("to") or {}).get("id", ""))


def _checked(service, t, to_t, item) -> tuple[str, str]:
    from_id, to_id = _ids(item)
    for kind, object_id in ((t, from_id), (to_t, to_id)):
        if service.find(kind, object_id) is None:
            raise HubSpotError(404, f"No {kind.singular} with id {object_id} exists", "OBJECT_NOT_FOUND",
                               context={"ids": [object_id]})
    return service.portal.resolve_id(t.name, from_id), service.portal.resolve_id(to_t.name, to_id)


@blueprint.post(BATCH + "/create")
def batch_create(from_type, to_type):
    (t, to_t), service, started = _types(from_type, to_type), crm(), state().clock.iso()
    results, errors = [], []
    for item in batch_inputs(body(), CREATE_LIMIT):
        try:
            from_id, to_id = _checked(service, t, to_t, item)
            for spec in item.get("types") or []:
                if spec.get("associationCategory") != "HUBSPOT_DEFINED":
                    raise HubSpotError(400, f"{spec.get('associationCategory')} association type "
                                            f"{spec.get('associationTypeId')} does not exist", "VALIDATION_ERROR")
                service.associate(t, from_id, to_t, to_id, int(spec.get("associationTypeId", 0)))
            results.append(_pair(t, from_id, to_t, to_id))
        except HubSpotError as error:
            errors.append(batch_item_error(error))
    response, failed = batch_response(results, errors, started, state().clock)
    return response, 207 if failed else 201


@blueprint.post(BATCH + "/associate/default")
def batch_default(from_type, to_type):
    (t, to_t), service, started = _types(from_type, to_type), crm(), state().clock.iso()
    results, errors = [], []
    for item in batch_inputs(body(), CREATE_LIMIT):
        try:
            from_id, to_id = _checked(service, t, to_t, item)
            type_id = default_type(t.name, to_t.name)
            service.associate(t, from_id, to_t, to_id, type_id)
            inverse = default_type(to_t.name, t.name)
            # HubSpot answers with both directions of the default association.
            results.append({"from": {"id": from_id}, "to": {"id": to_id}, "associationSpec": {
                "associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}})
            results.append({"from": {"id": to_id}, "to": {"id": from_id}, "associationSpec": {
                "associationCategory": "HUBSPOT_DEFINED", "associationTypeId": inverse}})
        except HubSpotError as error:
            errors.append(batch_item_error(error))
    response, failed = batch_response(results, errors, started, state().clock)
    return response, 207 if failed else 200


@blueprint.post(BATCH + "/read")
def batch_read(from_type, to_type):
    (t, to_t), service, started = _types(from_type, to_type), crm(), state().clock.iso()
    results, errors = [], []
    for item in batch_inputs(body(), READ_LIMIT):
        from_id = service.portal.resolve_id(t.name, str(item.get("id", "")))
        links = service.portal.associations.targets(t.name, from_id, to_t.name)
        if not links:
            error = HubSpotError(404, f"No {to_t.singular} is associated with {t.singular} {from_id}.",
                                 "OBJECT_NOT_FOUND", context={"fromObjectId": [from_id]})
            errors.append(batch_item_error(error))
            continue
        results.append({"from": {"id": from_id}, "to": [
            {"toObjectId": int(to_id), "associationTypes": _associated(t, to_t, specs)}
            for to_id, specs in sorted(links.items(), key=lambda kv: int(kv[0]))]})
    response, failed = batch_response(results, errors, started, state().clock)
    return response, 207 if failed else 200


@blueprint.post(BATCH + "/archive")
def batch_archive(from_type, to_type):
    (t, to_t), service = _types(from_type, to_type), crm()
    for item in batch_inputs(body(), CREATE_LIMIT):
        from_id = str((item.get("from") or {}).get("id", ""))
        for target in item.get("to") or []:
            service.unassociate(t, from_id, to_t, str(target.get("id", "")))
    return Response(status=204)


@blueprint.post(BATCH + "/labels/archive")
def batch_archive_labels(from_type, to_type):
    """"Deleting an unlabeled association will also delete all labeled associations between those two objects"
    (https://developers.hubspot.com/docs/api-reference/latest/crm/associations/associate-records/batch/
    delete-association-labels)."""
    (t, to_t), service = _types(from_type, to_type), crm()
    for item in batch_inputs(body(), CREATE_LIMIT):
        from_id, to_id = _ids(item)
        type_ids = {int(s.get("associationTypeId", 0)) for s in item.get("types") or []}
        unlabelled = any(label_of(t.name, to_t.name, tid) is None for tid in type_ids & TYPES[(t.name, to_t.name)].keys())
        service.unassociate(t, from_id, to_t, to_id, None if unlabelled else type_ids)
    return Response(status=204)


@blueprint.get("/crm/v4/associations/<from_type>/<to_type>/labels")
def labels(from_type, to_type):
    """Every association type between two object types: `{results: [{category, typeId, label}]}`, label null for
    the unlabelled default (hubspot-api-python `hubspot/crm/associations/v4/schema/api/definitions_api.py`,
    `get_all`, and its model `AssociationSpecWithLabel`)."""
    t, to_t = _types(from_type, to_type)
    known = TYPES.get((t.name, to_t.name), {})
    return {"results": [{"category": "HUBSPOT_DEFINED", "typeId": tid, "label": label}
                        for tid, (label, _) in sorted(known.items())]}


OBJECT = "/crm/v4/objects/<from_type>/<from_id>/associations"


@blueprint.get(OBJECT + "/<to_type>")
def list_for_object(from_type, from_id, to_type):
    (t, to_t), service = _types(from_type, to_type), crm()
    from_id = service.portal.resolve_id(t.name, from_id)
    links = sorted(service.portal.associations.targets(t.name, from_id, to_t.name).items(), key=lambda kv: int(kv[0]))
    limit, after = int_param("limit", 500, 500), int(request.args.get("after") or 0)
    page = links[after:after + limit]
    response = {"results": [{"toObjectId": int(to_id), "associationTypes": _associated(t, to_t, specs)}
                            for to_id, specs in page]}
    if after + limit < len(links):
        response["paging"] = {"next": {"after": str(after + limit)}}
    return response


@blueprint.put(OBJECT + "/<to_type>/<to_id>")
def create_for_object(from_type, from_id, to_type, to_id):
    (t, to_t), service = _types(from_type, to_type), crm()
    specs = request.get_json(silent=True)
    if not isinstance(specs, list):
        raise HubSpotError(400, "Request body must be a list of association types", "VALIDATION_ERROR")
    from_id, to_id = _checked(service, t, to_t, {"from": {"id": from_id}, "to": {"id": to_id}})
    for spec in specs:
        check_spec(t.name, to_t.name, str(spec.get("associationCategory")), _type_id(spec))
    for spec in specs:
        service.associate(t, from_id, to_t, to_id, _type_id(spec))
    return _pair(t, from_id, to_t, to_id), 201


def _type_id(spec: dict) -> int:
    try:
        return int(spec.get("associationTypeId"))
    except (TypeError, ValueError):
        raise HubSpotError(400, f"associationTypeId must be an integer, got {spec.get('associationTypeId')!r}",
                           "VALIDATION_ERROR") from None


@blueprint.put("/crm/v4/objects/<from_type>/<from_id>/associations/default/<to_type>/<to_id>")
def default_for_object(from_type, from_id, to_type, to_id):
    (t, to_t), service, started = _types(from_type, to_type), crm(), state().clock.iso()
    from_id, to_id = _checked(service, t, to_t, {"from": {"id": from_id}, "to": {"id": to_id}})
    type_id = default_type(t.name, to_t.name)
    service.associate(t, from_id, to_t, to_id, type_id)
    results = [{"from": {"id": from_id}, "to": {"id": to_id}, "associationSpec": {
        "associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}}]
    response, _ = batch_response(results, [], started, state().clock)
    return response


@blueprint.delete(OBJECT + "/<to_type>/<to_id>")
def archive_for_object(from_type, from_id, to_type, to_id):
    (t, to_t), service = _types(from_type, to_type), crm()
    service.unassociate(t, from_id, to_t, to_id)
    return Response(status=204)
