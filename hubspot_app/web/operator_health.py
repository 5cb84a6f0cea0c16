"""The sync health page and its retry actions (views on the operator blueprint)."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from .. import extensions
from ..operator import auth, conflicts
from ..operator import health as health_service
from .operator import bp


@bp.get("/<int:portal_id>/health")
@auth.operator_required
def health(portal_id: int):
    with extensions.db().session() as db_session:
        page = render_template("operator/health.html", portal_id=portal_id, now=extensions.clock()(),
                               health=health_service.sync_health(db_session, portal_id))
    return page


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def _retry(portal_id: int, error_id: int | None):
    outcome = health_service.retry_errors(extensions.db(), extensions.jobs(), portal_id, error_id)
    if outcome.requested:
        flash(f"Retry requested for {_plural(outcome.requested, 'record')}: the sync runs again "
              f"({_plural(outcome.jobs, 'job')}). Reload this page in a minute to see the result.", "ok")
    if outcome.not_retryable:
        flash(f"{_plural(outcome.not_retryable, 'record')} cannot be re-read from here (bad data in Moulin, a "
              f"product or company alone): fix it in Moulin and it syncs at its next change.", "error")
    if not outcome.requested and not outcome.not_retryable:
        flash("Nothing to retry: no such failing record.", "ok")
    return redirect(url_for("operator.health", portal_id=portal_id) + "#failing")


@bp.post("/<int:portal_id>/health/errors/<int:error_id>/retry")
@auth.operator_required
def retry_one(portal_id: int, error_id: int):
    return _retry(portal_id, error_id)


@bp.post("/<int:portal_id>/health/errors/retry")
@auth.operator_required
def retry_all(portal_id: int):
    return _retry(portal_id, None)


@bp.post("/<int:portal_id>/health/conflicts/<int:conflict_id>/link-new-email")
@auth.operator_required
def link_new_email(portal_id: int, conflict_id: int):
    if conflicts.link_customer_to_new_email(portal_id, conflict_id):
        flash("The customer now belongs to the contact that has its new email; its orders move there now.", "ok")
    else:
        flash("Nothing to do: this conflict is already resolved.", "ok")
    return redirect(url_for("operator.health", portal_id=portal_id) + "#conflicts")
