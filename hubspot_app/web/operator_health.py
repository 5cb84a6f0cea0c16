"""The sync health page and its retry actions (views on the operator blueprint)."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from .. import extensions
from ..operator import auth
from ..operator import health as health_service
from .operator import bp


@bp.get("/<int:portal_id>/health")
@auth.operator_required
def health(portal_id: int):
    with extensions.db().session() as db_session:
        page = render_template("operator/health.html", portal_id=portal_id, now=extensions.clock()(),
                               health=health_service.sync_health(db_session, portal_id),
                               can_retry=health_service.retry_available(extensions.jobs()))
    return page


def _retry(portal_id: int, error_id: int | None):
    try:
        with extensions.db().session() as db_session:
            count = health_service.retry_errors(db_session, extensions.jobs(), portal_id, error_id)
    except health_service.RetryUnavailable as error:
        flash(str(error), "error")
    else:
        flash(f"Retry requested for {count} record{'s' if count != 1 else ''}." if count
              else "Nothing to retry: that record is no longer failing.", "ok")
    return redirect(url_for("operator.health", portal_id=portal_id) + "#failing")


@bp.post("/<int:portal_id>/health/errors/<int:error_id>/retry")
@auth.operator_required
def retry_one(portal_id: int, error_id: int):
    return _retry(portal_id, error_id)


@bp.post("/<int:portal_id>/health/errors/retry")
@auth.operator_required
def retry_all(portal_id: int):
    return _retry(portal_id, None)
