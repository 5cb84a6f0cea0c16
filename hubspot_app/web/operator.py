"""Operator pages: onboarding (connect stores, first import), store settings, uninstall.

Thin views: each parses the form, calls one service in `hubspot_app.operator`,
and renders or redirects. Access is checked by `operator_required` (portal in
the session = portal in the URL); CSRF tokens by Flask-WTF on every POST.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect

from .. import extensions
from ..attribution import operator as marketing
from ..install.service import uninstall
from ..install.tokens import InstallationInactive
from ..moulin.stores import StoreSettingsError, list_stores
from ..operator import auth, backfill, store_lifecycle, target_archive
from ..operator import stores as store_service

bp = Blueprint("operator", __name__, url_prefix="/operator")
csrf = CSRFProtect()


def register(app) -> None:
    # Only the operator pages are checked: webhooks, Moulin push and the card API are machine callers
    # authenticated by signatures, and must not need a browser's CSRF token.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    # Requests now see APP_BASE_URL's https scheme (web/headers.py), which turns on Flask-WTF's Referer check;
    # our Referrer-Policy sends no Referer. The session-bound token and the SameSite cookie are the defence.
    app.config.setdefault("WTF_CSRF_SSL_STRICT", False)
    csrf.init_app(app)
    app.register_blueprint(bp)


@bp.before_request
def protect_forms():
    csrf.protect()


@bp.errorhandler(CSRFError)
def csrf_refused(error: CSRFError):
    return render_template("operator/refused.html", message=f"This form has expired or was not sent from "
                           f"our page ({error.description}). Go back, reload the page and try again."), 400


@bp.errorhandler(401)
def not_signed_in(_error):
    return render_template("operator/refused.html", message="Open these pages from the app in your HubSpot "
                           "account (or install the app) to sign in."), 401


@bp.errorhandler(403)
def other_portal(_error):
    return render_template("operator/refused.html", message="You are signed in to another HubSpot account. "
                           "Open this account's pages from its own HubSpot."), 403


@bp.errorhandler(auth.NotInstalled)
def not_installed(_error):
    auth.sign_out_operator()
    return render_template("operator/refused.html", message="The app is not installed in this HubSpot account "
                           "any more. Install it again from HubSpot to use these pages."), 404


@bp.errorhandler(store_service.StoreNotFound)
def store_not_found(_error):
    return render_template("operator/refused.html", message="No such store in this account."), 404


@bp.get("/enter")
def enter():
    try:
        operator = auth.read_operator_link(request.args.get("token", ""))
    except auth.LinkRefused as refused:
        return render_template("operator/refused.html", message=str(refused)), 403
    auth.sign_in_operator(operator.portal_id, operator.email)
    return redirect(url_for("operator.onboarding", portal_id=operator.portal_id))


@bp.post("/sign-out")
def sign_out():
    auth.sign_out_operator()
    return render_template("operator/refused.html", message="You are signed out.", ok=True)


def _onboarding_page(portal_id: int, form: dict | None = None, error: str | None = None, status: int = 200):
    with extensions.db().session() as db_session:
        stores = list_stores(db_session, portal_id)
        progress = {s.id: backfill.progress(db_session, portal_id, s.id, extensions.clock()()) for s in stores}
        page = render_template("operator/onboarding.html", portal_id=portal_id, stores=stores, progress=progress,
                               form=form or {}, error=error)
    return page, status


@bp.get("/<int:portal_id>/")
@auth.operator_required
def onboarding(portal_id: int):
    return _onboarding_page(portal_id)


@bp.post("/<int:portal_id>/stores")
@auth.operator_required
def connect(portal_id: int):
    try:
        with extensions.db().session() as db_session:
            store, push_secret = store_service.connect_checked(db_session, extensions.cipher(), portal_id, request.form)
            push_url = f"{extensions.config().app_base_url}{url_for('moulin_push.push', store_id=store.id)}"
    except StoreSettingsError as error:
        # The form comes back filled in, except the API key, which is never echoed into a page.
        form = {k: v for k, v in request.form.items() if k not in ("api_key", "csrf_token")}
        return _onboarding_page(portal_id, form, str(error), 422)
    return _push_secret_page(portal_id, store, push_secret, push_url, replaced=False)


@bp.post("/<int:portal_id>/stores/<int:store_id>/push-secret")
@auth.operator_required
def replace_push_secret(portal_id: int, store_id: int):
    with extensions.db().session() as db_session:
        store, push_secret = store_service.new_push_secret(db_session, extensions.cipher(), portal_id, store_id)
        push_url = f"{extensions.config().app_base_url}{url_for('moulin_push.push', store_id=store.id)}"
    return _push_secret_page(portal_id, store, push_secret, push_url, replaced=True)


def _push_secret_page(portal_id: int, store, push_secret: str, push_url: str, replaced: bool):
    # Shown in this response only, never stored readable: no redirect, and no caching anywhere.
    response = make_response(render_template("operator/connected.html", portal_id=portal_id, store=store,
                                             push_secret=push_secret, push_url=push_url, replaced=replaced))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<int:portal_id>/stores/<int:store_id>/test")
@auth.operator_required
def test_store(portal_id: int, store_id: int):
    with extensions.db().session() as db_session:
        check = store_service.check_connection(db_session, extensions.cipher(), portal_id, store_id)
    flash(check.message, "ok" if check.ok else "error")
    return redirect(url_for("operator.onboarding", portal_id=portal_id) + f"#store-{store_id}")


@bp.route("/<int:portal_id>/stores/<int:store_id>/settings", methods=["GET", "POST"])
@auth.operator_required
def store_settings(portal_id: int, store_id: int):
    error, status, added = None, 200, False
    with extensions.db().session() as db_session:
        if request.method == "POST":
            try:
                _, added = store_service.save_store_settings(db_session, portal_id, store_id, request.form)
            except StoreSettingsError as refused:
                error, status = str(refused), 422
        if request.method == "GET" or error:
            store = store_service.get_store(db_session, portal_id, store_id)
            page = render_template("operator/store_settings.html", portal_id=portal_id, store=store, error=error,
                                   rows=store_service.mapping_rows(store), stages=store_service.stage_choices(),
                                   settings=store_service.store_settings(store),
                                   warnings=store_service.store_warnings(store),
                                   marketing=marketing.marketing_settings(store),
                                   orders=store_service.orders_status(db_session, portal_id),
                                   archivable=target_archive.archivable(db_session, portal_id, store,
                                                                        extensions.clock()()))
            return page, status
    if added:  # committed above: the backfill job reads the reset checkpoint
        with extensions.db().session() as db_session:
            backfill.start_backfill(db_session, portal_id, store_id)
    flash("Settings saved." + (" The new target is being filled with the store's orders." if added else ""), "ok")
    return redirect(url_for("operator.store_settings", portal_id=portal_id, store_id=store_id))


@bp.post("/<int:portal_id>/stores/<int:store_id>/archive-target")
@auth.operator_required
def archive_target(portal_id: int, store_id: int):
    target = request.form.get("target", "")
    if request.form.get("confirm") != target_archive.CONFIRM_WORD:
        flash(f"To archive, type the word {target_archive.CONFIRM_WORD} in the confirmation box.", "error")
    else:
        with extensions.db().session() as db_session:
            try:
                target_archive.start_archive(db_session, portal_id, store_id, target)
            except target_archive.NothingToArchive as refused:
                flash(str(refused), "error")
            else:
                flash(f"Archiving of this store's HubSpot {target} has started.", "ok")
    return redirect(url_for("operator.store_settings", portal_id=portal_id, store_id=store_id) + "#archive-target")


@bp.post("/<int:portal_id>/stores/<int:store_id>/marketing")
@auth.operator_required
def store_marketing(portal_id: int, store_id: int):
    with extensions.db().session() as db_session:
        try:
            marketing.save_marketing_settings(db_session, portal_id, store_id, request.form)
        except StoreSettingsError as refused:
            flash(str(refused), "error")
        else:
            flash("Marketing settings saved.", "ok")
    return redirect(url_for("operator.store_settings", portal_id=portal_id, store_id=store_id) + "#marketing")


@bp.post("/<int:portal_id>/stores/<int:store_id>/pause")
@auth.operator_required
def pause_store(portal_id: int, store_id: int):
    paused = request.form.get("paused") == "on"
    with extensions.db().session() as db_session:
        store_lifecycle.set_paused(db_session, portal_id, store_id, paused)
    flash("Store paused: the app no longer calls it." if paused else "Store resumed: the next poll catches up.",
          "ok")
    return redirect(url_for("operator.store_settings", portal_id=portal_id, store_id=store_id))


@bp.post("/<int:portal_id>/stores/<int:store_id>/disconnect")
@auth.operator_required
def disconnect_store(portal_id: int, store_id: int):
    if request.form.get("confirm") != "disconnect":
        flash("To disconnect, type the word disconnect in the confirmation box.", "error")
        return redirect(url_for("operator.store_settings", portal_id=portal_id, store_id=store_id))
    with extensions.db().session() as db_session:
        gone = store_lifecycle.disconnect(db_session, portal_id, store_id, purge=request.form.get("data") == "purge")
    flash(f"Store {gone.name} ({gone.code}) disconnected"
          + (f"; {gone.purged_rows} rows of its data deleted." if gone.purged_rows else "; its data is kept."), "ok")
    return redirect(url_for("operator.settings", portal_id=portal_id))


@bp.post("/<int:portal_id>/stores/<int:store_id>/backfill")
@auth.operator_required
def start_backfill(portal_id: int, store_id: int):
    with extensions.db().session() as db_session:
        backfill.start_backfill(db_session, portal_id, store_id)
    flash("Import started. Progress below updates by itself.", "ok")
    return redirect(url_for("operator.onboarding", portal_id=portal_id) + f"#store-{store_id}")


@bp.get("/<int:portal_id>/stores/<int:store_id>/progress")
@auth.operator_required
def progress(portal_id: int, store_id: int):
    with extensions.db().session() as db_session:
        return jsonify(backfill.progress(db_session, portal_id, store_id, extensions.clock()()).as_json())


@bp.get("/<int:portal_id>/settings")
@auth.operator_required
def settings(portal_id: int):
    with extensions.db().session() as db_session:
        stores = list_stores(db_session, portal_id)
        status = marketing.marketing_status(db_session, portal_id)
    return render_template("operator/settings.html", portal_id=portal_id, stores=stores, marketing=status)


@bp.post("/<int:portal_id>/uninstall")
@auth.operator_required
def uninstall_app(portal_id: int):
    if request.form.get("confirm") != "uninstall":
        flash("To uninstall, type the word uninstall in the confirmation box.", "error")
        return redirect(url_for("operator.settings", portal_id=portal_id))
    purge = request.form.get("data") == "purge"
    try:
        result = uninstall(extensions.db(), extensions.cipher(), extensions.oauth(), extensions.clock(), portal_id,
                           purge=purge)
    except InstallationInactive:
        abort(404)
    auth.sign_out_operator()
    return render_template("operator/uninstalled.html", result=result, purged=purge)


from . import operator_health  # noqa: E402,F401  (the sync health views, on `bp`)
