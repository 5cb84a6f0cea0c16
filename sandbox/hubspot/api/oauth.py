"""OAuth pages and endpoints: authorize (HTML), token, introspect, revoke, external-install uninstall."""
from __future__ import annotations

from html import escape
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, g, redirect, request

from ..oauth import KNOWN_SCOPES, OAuthError
from ..scopes import missing_scope
from ..state import SANDBOX_USER_ID
from . import state

blueprint = Blueprint("hubspot_oauth", __name__)

APPROVE_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Connect app - HubSpot sandbox</title></head>
<body>
<h1>Connect app {app_id} to your HubSpot account</h1>
<p>Account: {account}</p>
<p>Requested scopes: {scopes}</p>
<form method="post" action="/oauth/authorize/decision">
{hidden}
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>
</body></html>
"""


def _error_page(message: str, status: int = 400) -> Response:
    html = f"<!doctype html><html><body><h1>Authorization failed</h1><p>{escape(message)}</p></body></html>"
    return Response(html, status=status, mimetype="text/html")


def _redirect_to(redirect_uri: str, params: dict) -> Response:
    joiner = "&" if urlsplit(redirect_uri).query else "?"
    return redirect(redirect_uri + joiner + urlencode({k: v for k, v in params.items() if v is not None}), 302)


def _check_request(args) -> tuple[str, list[str], str | None]:
    """Validate an authorize request; returns (redirect_uri, granted scopes, error message)."""
    sandbox = state()
    if args.get("client_id") != sandbox.oauth.client_id:
        return "", [], "Unknown client_id"
    redirect_uri = args.get("redirect_uri", "")
    if urlsplit(redirect_uri).scheme not in ("http", "https"):
        return "", [], "redirect_uri must be an http(s) URL"
    if sandbox.redirect_uris is not None and redirect_uri not in sandbox.redirect_uris:
        return "", [], "redirect_uri does not match the app's redirect URLs"
    required = args.get("scope", "").split()
    optional = args.get("optional_scope", "").split()
    unknown = [s for s in required + optional if s not in KNOWN_SCOPES]
    if not required:
        return "", [], "The scope parameter is required"
    if unknown:
        return "", [], f"Scopes not configured for this app: {' '.join(unknown)}"
    # Optional scopes are granted only when the user (here: `grant_optional_scopes`) agrees to them.
    granted = required + (optional if sandbox.grant_optional_scopes else [])
    return redirect_uri, sorted(set(granted)), None


def _grant(redirect_uri: str, scopes: list[str], args) -> Response:
    sandbox, portal_id = state(), args.get("portal_id")
    if portal_id:
        if not portal_id.isdigit() or not sandbox.portal_alive(int(portal_id)):
            return _error_page(f"Unknown account {portal_id}")
        portal = int(portal_id)
    else:
        portal = sandbox.create_portal()
    sandbox.installed.add(portal)
    code = sandbox.oauth.issue_code(portal, redirect_uri, scopes, args.get("code_challenge"),
                                    args.get("code_challenge_method"))
    return _redirect_to(redirect_uri, {"code": code, "state": args.get("state")})


@blueprint.get("/oauth/authorize")
def authorize():
    redirect_uri, scopes, problem = _check_request(request.args)
    if problem:
        return _error_page(problem)
    if state().auto_approve:
        return _grant(redirect_uri, scopes, request.args)
    keep = ("client_id", "redirect_uri", "scope", "optional_scope", "state", "portal_id", "code_challenge",
            "code_challenge_method")
    hidden = "\n".join(f'<input type="hidden" name="{k}" value="{escape(request.args[k])}">'
                       for k in keep if k in request.args)
    account = request.args.get("portal_id") or "a new sandbox account"
    return Response(APPROVE_PAGE.format(app_id=state().app_id, account=escape(account),
                                        scopes=escape(" ".join(scopes)), hidden=hidden), mimetype="text/html")


@blueprint.post("/oauth/authorize/decision")
def decide():
    redirect_uri, scopes, problem = _check_request(request.form)
    if problem:
        return _error_page(problem)
    if request.form.get("decision") != "approve":
        return _redirect_to(redirect_uri, {"error": "access_denied",
                                           "error_description": "The user denied the request",
                                           "state": request.form.get("state")})
    return _grant(redirect_uri, scopes, request.form)


@blueprint.post("/oauth/2026-03/token")
@blueprint.post("/oauth/v3/token")
@blueprint.post("/oauth/v1/token")  # the legacy path the SDK's OAuth helpers still call
def token():
    sandbox, form = state(), request.form.to_dict()
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        return sandbox.oauth.exchange_code(form, sandbox.portal_alive)
    if grant_type == "refresh_token":
        return sandbox.oauth.refresh(form, sandbox.portal_alive)
    raise OAuthError("unsupported_grant_type", "BAD_GRANT_TYPE", f"unsupported grant_type: {grant_type}")


@blueprint.post("/oauth/2026-03/token/introspect")
@blueprint.post("/oauth/v3/token/introspect")
def introspect():
    sandbox, form = state(), request.form.to_dict()
    sandbox.oauth.check_client(form.get("client_id"), form.get("client_secret"))
    found = sandbox.oauth.tokens.get(form.get("token") or "")
    if found is None or not sandbox.oauth.is_active(found) or not sandbox.portal_alive(found.portal_id):
        return {"active": False}
    portal = sandbox.portal(found.portal_id)
    # token and token_type are among the documented response fields (token introspection, 2026-03:
    # https://developers.hubspot.com/docs/api-reference/2026-03/authentication/oauth-tokens/token-introspect);
    # token_type's values follow the v1 token metadata endpoints ("access" / "refresh").
    answer = {"active": True, "token": found.value, "token_type": found.kind.removesuffix("_token"),
              "token_use": found.kind, "hub_id": found.portal_id, "hub_domain": portal.hub_domain,
              "app_id": sandbox.app_id, "client_id": sandbox.oauth.client_id, "user_id": SANDBOX_USER_ID,
              "user": "sandbox-user@example.com", "scopes": found.scopes}
    if found.expires_at is not None:
        answer["expires_in"] = int(found.expires_at - sandbox.clock.now())
    return answer


@blueprint.post("/oauth/2026-03/token/revoke")
def revoke():
    sandbox, form = state(), request.form.to_dict()
    sandbox.oauth.check_client(form.get("client_id"), form.get("client_secret"))
    sandbox.oauth.revoke(form.get("token") or "")
    return Response(status=200)


@blueprint.delete("/appinstalls/2026-03/external-install")
def uninstall():
    if "oauth" not in g.token.scopes:
        raise missing_scope("oauth")
    state().uninstall(g.portal_id)
    return Response(status=204)
