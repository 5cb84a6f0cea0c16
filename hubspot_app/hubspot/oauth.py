"""HubSpot OAuth 2 (the 2026-03 endpoints) through authlib.

The SDK's own OAuth helpers still call the v1 paths, which end in Feb 2027,
so OAuth lives here. HubSpot authenticates the client with form parameters
(client_secret_post). Errors come back as RFC 6749 bodies with an extra
`status` (BAD_REFRESH_TOKEN, BAD_HUB, ...): they are raised as `OAuthFailed`
so callers can tell "this installation is gone" from "try again later".
"""
from __future__ import annotations

from dataclasses import dataclass, field

import requests
from authlib.integrations.requests_client import OAuth2Session

from ..config import OPTIONAL_SCOPES, REQUIRED_SCOPES, Config

TIMEOUT = 10
# invalid_grant means the refresh token (or the whole account) is gone for good.
GONE_ERRORS = {"invalid_grant"}
GONE_STATUSES = {"BAD_REFRESH_TOKEN", "BAD_HUB", "BAD_AUTH_CODE"}


class OAuthFailed(Exception):
    """HubSpot refused the request (4xx with an RFC 6749 error)."""

    def __init__(self, error: str, status: str | None, description: str | None, http_status: int):
        super().__init__(f"{error} ({status or 'no status'}): {description or ''}".strip())
        self.error = error
        self.status = status
        self.description = description
        self.http_status = http_status

    @property
    def installation_gone(self) -> bool:
        return self.error in GONE_ERRORS or (self.status or "") in GONE_STATUSES


class OAuthUnavailable(Exception):
    """HubSpot could not be reached or answered 5xx: transient, retry later."""


@dataclass(frozen=True)
class TokenSet:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: int
    hub_id: int | None = None
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TokenInfo:
    active: bool
    hub_id: int | None
    user_id: int | None
    user: str | None
    hub_domain: str | None
    app_id: int | None
    scopes: tuple[str, ...]


def _raise_for_error(response: requests.Response) -> requests.Response:
    if response.status_code >= 500:
        raise OAuthUnavailable(f"HubSpot OAuth answered {response.status_code}")
    if response.status_code >= 400:
        try:
            body = response.json()
        except ValueError:
            body = {}
        raise OAuthFailed(
            error=str(body.get("error") or "http_error"),
            status=body.get("status"),
            description=body.get("error_description") or body.get("message"),
            http_status=response.status_code,
        )
    return response


def _scopes(value) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(value.split())
    return tuple(value or ())


class HubSpotOAuth:
    def __init__(self, config: Config, http: requests.Session | None = None):
        self.config = config
        self._http = http

    def _session(self) -> OAuth2Session:
        session = OAuth2Session(
            client_id=self.config.hubspot_client_id,
            client_secret=self.config.hubspot_client_secret,
            redirect_uri=self.config.redirect_uri,
            token_endpoint_auth_method="client_secret_post",
            revocation_endpoint_auth_method="client_secret_post",
        )
        if self._http is not None:
            session.mount("http://", self._http.get_adapter("http://"))
            session.mount("https://", self._http.get_adapter("https://"))
        for hook in ("access_token_response", "refresh_token_response"):
            session.register_compliance_hook(hook, _raise_for_error)
        return session

    def _url(self, path: str) -> str:
        return f"{self.config.hubspot_api_base}{path}"

    def authorize_url(self, state: str) -> str:
        with self._session() as session:
            url, _ = session.create_authorization_url(
                f"{self.config.hubspot_auth_base}/oauth/authorize",
                state=state,
                scope=" ".join(REQUIRED_SCOPES),
                **({"optional_scope": " ".join(OPTIONAL_SCOPES)} if OPTIONAL_SCOPES else {}),
            )
        return url

    def exchange_code(self, code: str) -> TokenSet:
        with self._session() as session:
            token = self._call(lambda: session.fetch_token(
                self._url("/oauth/2026-03/token"), grant_type="authorization_code", code=code, timeout=TIMEOUT))
        return self._token_set(token)

    def refresh(self, refresh_token: str) -> TokenSet:
        with self._session() as session:
            token = self._call(lambda: session.refresh_token(
                self._url("/oauth/2026-03/token"), refresh_token=refresh_token, timeout=TIMEOUT))
        return self._token_set(token)

    def introspect(self, token: str) -> TokenInfo:
        with self._session() as session:
            response = self._call(lambda: _raise_for_error(session.introspect_token(
                self._url("/oauth/2026-03/token/introspect"), token=token, token_type_hint="access_token",
                timeout=TIMEOUT)))
        body = response.json()
        return TokenInfo(
            active=bool(body.get("active")),
            hub_id=body.get("hub_id"),
            user_id=body.get("user_id"),
            user=body.get("user"),
            hub_domain=body.get("hub_domain"),
            app_id=body.get("app_id"),
            scopes=_scopes(body.get("scopes")),
        )

    def revoke(self, refresh_token: str) -> None:
        with self._session() as session:
            self._call(lambda: _raise_for_error(session.revoke_token(
                self._url("/oauth/2026-03/token/revoke"), token=refresh_token, token_type_hint="refresh_token",
                timeout=TIMEOUT)))

    def uninstall(self, access_token: str) -> None:
        """Remove the app from the account: HubSpot's external-install endpoint (needs the `oauth` scope)."""
        http = self._http or requests.Session()
        self._call(lambda: _raise_for_error(http.delete(
            self._url("/appinstalls/2026-03/external-install"),
            headers={"Authorization": f"Bearer {access_token}"}, timeout=TIMEOUT)))

    @staticmethod
    def _call(fn):
        try:
            return fn()
        except requests.RequestException as error:
            raise OAuthUnavailable(f"HubSpot OAuth unreachable: {type(error).__name__}") from None

    @staticmethod
    def _token_set(token: dict) -> TokenSet:
        return TokenSet(
            access_token=token["access_token"],
            refresh_token=token["refresh_token"],
            expires_in=int(token.get("expires_in") or 1800),
            hub_id=token.get("hub_id"),
            scopes=_scopes(token.get("scopes") or token.get("scope")),
        )
