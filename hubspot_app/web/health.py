from flask import Blueprint, jsonify
from sqlalchemy import text

from .. import extensions

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    with extensions.db().session() as session:
        session.execute(text("SELECT 1"))
    return jsonify(status="ok")
