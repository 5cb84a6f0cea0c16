"""The OAuth install flow: /oauth/install sends the browser to HubSpot, /oauth/callback finishes."""
from __future__ import annotations

import hmac
import logging
import secrets

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from .. import extensions
from ..install.service import InstallRefused, complete_install
from ..logs import log_event
from ..operator.auth import sign_in_operator
from ..single_use import spend

bp = Blueprint("oauth", __name__, url_prefix="/oauth")
log = logging.getLogger(__name__)


@bp.get("/install")
def install():
    state = secrets.token_urlsafe(32)
    session["oauth_state"] = state  # bound to this browser's signed session cookie
    return redirect(extensions.oauth().authorize_url(state))


def _problem(message: str, reason: str, status: int = 400):
    log_event(log, "install.refused", logging.WARNING, reason=reason, path=request.path)
    return render_template("install/problem.html", message=message), status


def _first_use_of(state: str) -> bool:
    # The state sits in the session cookie, which the browser (or whoever copied it) can send again with the
    # same callback URL: only the database can tell a replay from the first use. Kept for as long as such a
    # cookie is accepted at all.
    now = extensions.clock()()
    with extensions.db().session() as db_session:
        return spend(db_session, "oauth-state", state, now + current_app.permanent_session_lifetime, now)


@bp.get("/callback")
def callback():
    expected_state = session.pop("oauth_state", None)
    given_state = request.args.get("state", "")
    # Bytes: compare_digest refuses non-ASCII text, and the query is anyone's to write.
    if not expected_state or not hmac.compare_digest(expected_state.encode(), given_state.encode()):
        return _problem("This install link is invalid or has expired (its security check did not match). "
                        "Start the install again.", "bad state")
    if not _first_use_of(given_state):
        return _problem("This install link has already been used. Start the install again.", "state reused")
    if request.args.get("error"):
        if request.args["error"] == "access_denied":
            return _problem("The install was cancelled in HubSpot, so nothing was connected.", "access_denied")
        return _problem(f"HubSpot reported an error: {request.args['error']}.", "hubspot error")
    code = request.args.get("code", "")
    if not code:
        return _problem("HubSpot did not send an authorization code.", "no code")
    try:
        result = complete_install(extensions.db(), extensions.cipher(), extensions.oauth(), extensions.clock(), code)
    except InstallRefused as refused:
        return _problem(refused.message, refused.reason)
    extensions.jobs().enqueue("sync.setup_portal", result.portal_id)
    # The person who installed manages this portal's Moulin connection next.
    sign_in_operator(result.portal_id, result.user)
    return render_template("install/done.html", result=result,
                           next_url=url_for("operator.onboarding", portal_id=result.portal_id))
