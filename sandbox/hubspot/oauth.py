"""OAuth 2.0 as HubSpot runs it: authorization codes, access tokens (30 min), refresh tokens, uninstall."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

ACCESS_TOKEN_SECONDS = 1800
CODE_SECONDS = 600

# Scopes this sandbox app may ask for (an unknown scope blocks the install, as on HubSpot).
KNOWN_SCOPES = frozenset({
    "oauth",
    # Carts: crm.objects.carts.read/write (carts guide, "Scope requirements"); no carts schema scope is documented.
    *(f"crm.objects.{o}.{rw}" for o in ("contacts", "companies", "deals", "line_items", "products", "orders",
                                         "carts")
      for rw in ("read", "write")),
    *(f"crm.schemas.{o}.{rw}" for o in ("contacts", "companies", "deals", "line_items", "products", "orders")
      for rw in ("read", "write")),
    "forms", "subscriptions-definition-read", "subscriptions-status-read", "subscriptions-status-write",
})


def _pkce_matches(code: AuthCode, verifier: str) -> bool:
    """RFC 7636: S256 compares base64url(sha256(verifier)) without padding; plain compares as is."""
    if code.code_challenge_method == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        verifier = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return hmac.compare_digest(verifier, code.code_challenge or "")


class OAuthError(Exception):
    """An RFC 6749 error with HubSpot's extra `status` field."""

    def __init__(self, error: str, status: str, description: str, http_status: int = 400) -> None:
        super().__init__(description)
        self.error, self.status, self.description, self.http_status = error, status, description, http_status

    def body(self, correlation_id: str) -> dict:
        return {"status": self.status, "message": self.description, "correlationId": correlation_id,
                "error": self.error, "error_description": self.description}


@dataclass
class AuthCode:
    portal_id: int
    client_id: str
    redirect_uri: str
    scopes: list[str]
    expires_at: float
    used: bool = False
    code_challenge: str | None = None
    code_challenge_method: str = "plain"


@dataclass
class Token:
    value: str
    portal_id: int
    scopes: list[str]
    expires_at: float | None  # None for refresh tokens
    kind: str  # "access_token" | "refresh_token"
    alive: bool = True


@dataclass
class OAuthServer:
    client_id: str
    client_secret: str
    app_id: int
    now: object
    codes: dict[str, AuthCode] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)

    def issue_code(self, portal_id: int, redirect_uri: str, scopes: list[str],
                   code_challenge: str | None = None, code_challenge_method: str | None = None) -> str:
        code = secrets.token_urlsafe(24)
        self.codes[code] = AuthCode(portal_id, self.client_id, redirect_uri, scopes, self.now() + CODE_SECONDS,
                                    code_challenge=code_challenge or None,
                                    code_challenge_method=code_challenge_method or "plain")
        return code

    def _new_token(self, portal_id: int, scopes: list[str], kind: str) -> Token:
        prefix = "sbx-at-" if kind == "access_token" else "sbx-rt-"
        expires = self.now() + ACCESS_TOKEN_SECONDS if kind == "access_token" else None
        token = Token(prefix + secrets.token_urlsafe(32), portal_id, list(scopes), expires, kind)
        self.tokens[token.value] = token
        return token

    def token_response(self, portal_id: int, scopes: list[str], refresh: Token | None = None) -> dict:
        access = self._new_token(portal_id, scopes, "access_token")
        # HubSpot keeps the same refresh token across refreshes.
        refresh = refresh or self._new_token(portal_id, scopes, "refresh_token")
        # token_use is required in the 2026-03 answer (HubSpot/hubspot-sdk-python
        # src/hubspot_sdk/types/auth/access_token_response.py, generated from HubSpot's spec).
        return {"token_type": "bearer", "token_use": "access_token", "access_token": access.value,
                "refresh_token": refresh.value, "expires_in": ACCESS_TOKEN_SECONDS, "hub_id": portal_id,
                "scopes": list(scopes)}

    def check_client(self, client_id: str | None, client_secret: str | None) -> None:
        if client_id != self.client_id:
            raise OAuthError("invalid_client", "BAD_CLIENT_ID", "missing or invalid client_id")
        if client_secret != self.client_secret:
            raise OAuthError("invalid_client", "BAD_CLIENT_SECRET", "missing or invalid client secret")

    def exchange_code(self, form: dict, portal_alive) -> dict:
        self.check_client(form.get("client_id"), form.get("client_secret"))
        code = self.codes.get(form.get("code") or "")
        if code is None or code.used or code.expires_at <= self.now():
            raise OAuthError("invalid_grant", "BAD_AUTH_CODE", "missing or unknown auth code")
        if form.get("redirect_uri") != code.redirect_uri:
            raise OAuthError("invalid_grant", "BAD_REDIRECT_URI", "redirect_uri does not match the one used "
                                                                  "to get the auth code")
        code.used = True
        if code.code_challenge and not _pkce_matches(code, form.get("code_verifier") or ""):
            raise OAuthError("invalid_grant", "BAD_AUTH_CODE", "code_verifier does not match the code_challenge")
        if not portal_alive(code.portal_id):
            raise OAuthError("invalid_grant", "BAD_HUB", "the account for this auth code no longer exists")
        return self.token_response(code.portal_id, code.scopes)

    def refresh(self, form: dict, portal_alive) -> dict:
        self.check_client(form.get("client_id"), form.get("client_secret"))
        token = self.tokens.get(form.get("refresh_token") or "")
        if token is None or token.kind != "refresh_token" or not token.alive:
            raise OAuthError("invalid_grant", "BAD_REFRESH_TOKEN", "missing or unknown refresh token")
        if not portal_alive(token.portal_id):
            raise OAuthError("invalid_grant", "BAD_HUB", "the account for this refresh token no longer exists")
        return self.token_response(token.portal_id, token.scopes, refresh=token)

    def access_token(self, value: str) -> Token | None:
        token = self.tokens.get(value)
        return token if token is not None and token.kind == "access_token" else None

    def is_active(self, token: Token) -> bool:
        return token.alive and (token.expires_at is None or token.expires_at > self.now())

    def revoke(self, value: str) -> None:
        """Only the given token ends: HubSpot documents that revoking a refresh token leaves the access tokens
        made with it working until they expire (developers.hubspot.com/docs-beta/oauth/tokens)."""
        token = self.tokens.get(value)
        if token is not None:
            token.alive = False

    def uninstall(self, portal_id: int) -> None:
        for token in self.tokens.values():
            if token.portal_id == portal_id:
                token.alive = False
        for code in self.codes.values():
            if code.portal_id == portal_id:
                code.used = True
