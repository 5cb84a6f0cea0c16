"""Who may see a portal's operator pages: only users of the portal that installed the app.

Two ways in, both ending in the same server-side session (`sessions`): the
OAuth callback calls `sign_in_operator` for the user who just installed; the
CRM card opens a signed link from `make_operator_link`, short-lived and
single-use because it travels in a URL (browser history, referrers). The
session names one portal; every page checks it against the portal in its URL,
so a user of portal B cannot read or change portal A by editing the URL.
"""
from __future__ import annotations

import functools
import logging
import secrets
from datetime import timedelta
from urllib.parse import urlencode

from flask import abort, session
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from .. import extensions
from ..db.models import Installation
from ..logs import log_event
from ..single_use import spend
from .sessions import Operator, close_session, find_session, open_session

log = logging.getLogger(__name__)

LINK_MAX_AGE_S = 15 * 60
_SESSION_KEY = "operator"
_LINK_SALT = "moulin.operator-link"
_SPENT_LINK = "operator-link"


class NotInstalled(Exception):
    """The portal in the URL has no active installation (uninstalled since the session began)."""


class LinkRefused(Exception):
    """The operator link is expired, forged, already used or for a portal that no longer has the app."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(extensions.config().secret_key, salt=_LINK_SALT)


def sign_in_operator(portal_id: int, user_email: str | None) -> None:
    """Open the operator pages of `portal_id` to this browser (call inside a request)."""
    # A fresh session: whatever portal this browser held before is forgotten, not merged.
    sign_out_operator()
    lifetime = timedelta(hours=extensions.config().session_lifetime_hours)
    with extensions.db().session() as db_session:
        session_id = open_session(db_session, int(portal_id), user_email, extensions.clock()(), lifetime)
    session[_SESSION_KEY] = session_id
    session.permanent = False  # the cookie ends with the browser; the server ends the session after `lifetime`
    log_event(log, "operator.signed_in", portal_id=int(portal_id))


def sign_out_operator() -> None:
    """End this browser's session on the server, so no saved copy of its cookie opens the pages again."""
    session_id = session.get(_SESSION_KEY)
    if isinstance(session_id, str):
        with extensions.db().session() as db_session:
            close_session(db_session, session_id)
    session.clear()


def current_operator() -> Operator | None:
    session_id = session.get(_SESSION_KEY)
    if not isinstance(session_id, str):
        return None
    with extensions.db().session() as db_session:
        return find_session(db_session, session_id, extensions.clock()())


def make_operator_link(portal_id: int, user_email: str | None) -> str:
    """An absolute URL that signs its bearer in to `portal_id`'s pages once, within the next 15 minutes."""
    token = _serializer().dumps({"p": int(portal_id), "e": user_email, "n": secrets.token_urlsafe(16)})
    return f"{extensions.config().app_base_url}/operator/enter?{urlencode({'token': token})}"


def read_operator_link(token: str, max_age_s: int = LINK_MAX_AGE_S) -> Operator:
    """The operator the link names; spends the link, so a second use (a copy from history) is refused."""
    try:
        data, signed_at = _serializer().loads(token, max_age=max_age_s, return_timestamp=True)
    except SignatureExpired:
        raise LinkRefused("This link has expired. Open the operator pages again from HubSpot.") from None
    except BadSignature:
        raise LinkRefused("This link is not valid.") from None
    if not isinstance(data, dict) or not isinstance(data.get("n"), str):
        raise LinkRefused("This link is not valid.")  # signed by us before links were single-use
    operator = Operator(portal_id=int(data["p"]), email=data.get("e"))
    if not portal_is_active(operator.portal_id):
        raise LinkRefused("The app is not installed in this HubSpot account.")
    with extensions.db().session() as db_session:
        first_use = spend(db_session, _SPENT_LINK, data["n"], signed_at + timedelta(seconds=max_age_s),
                          extensions.clock()())
    if not first_use:
        log_event(log, "operator.link_reused", logging.WARNING, portal_id=operator.portal_id)
        raise LinkRefused("This link has already been used. Open the operator pages again from HubSpot.")
    return operator


def portal_is_active(portal_id: int) -> bool:
    with extensions.db().session() as db_session:
        status = db_session.scalar(select(Installation.status).where(Installation.portal_id == portal_id))
    return status == "active"


def operator_required(view):
    """Guard for `/operator/<portal_id>/...` views: 401 without a session, 403 for another portal's session,
    `NotInstalled` once the app is gone from the portal."""

    @functools.wraps(view)
    def guarded(portal_id: int, **kwargs):
        operator = current_operator()
        if operator is None:
            abort(401)
        if operator.portal_id != portal_id:
            log_event(log, "operator.refused", logging.WARNING, portal_id=portal_id, session_portal=operator.portal_id)
            abort(403)
        if not portal_is_active(portal_id):
            raise NotInstalled(portal_id)
        return view(portal_id=portal_id, **kwargs)

    return guarded
