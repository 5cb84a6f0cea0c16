"""Moulin's push endpoint: answer fast; the work happens in the `sync.moulin_event` job."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..moulin.push import PushRejected, receive_push
from .limits import read_body

bp = Blueprint("moulin_push", __name__)


@bp.post("/moulin/push/<int:store_id>")
def push(store_id: int):
    try:
        outcome = receive_push(store_id, read_body(), request.headers.get("X-Moulin-Signature"))
    except PushRejected as rejected:
        error = {"code": rejected.code, "message": str(rejected)}
        if rejected.field:
            error["field"] = rejected.field
        return jsonify(error=error), rejected.status
    if outcome.status == "duplicate":
        return jsonify(status="duplicate", event=outcome.event_row_id), 200
    return jsonify(status="accepted", event=outcome.event_row_id), 202
