"""The HubSpot marketing adapter: forms, secure form submissions, email subscription statuses.

A sibling of the CRM gateway (`crm.py`) for the APIs the official SDK does not cover in the
versions we use: plain JSON over `requests`, through the same per-portal rate limiter, with
errors mapped by the same table (`errors.error_type_for`).

Sources (facts only; HubSpot's wording is theirs):
- create a form: developers.hubspot.com/docs/api-reference/marketing-forms-v3/guide, `POST /marketing/v3/forms/`
  (scope `forms`);
- secure submission: developers.hubspot.com/docs/api-reference/legacy/marketing/forms/v3-legacy/submit-data-
  authenticated, `POST https://api.hsforms.com/submissions/v3/integration/secure/submit/{portalId}/{formGuid}`
  (scope `forms`); it follows the standard rate limits, and ten 429s within a second block the calling IP for a
  minute with a `text/plain` body `error code: 1015` (developers.hubspot.com/changelog/additional-rate-limit-
  protection-being-added-to-form-submissions-api): so a 429 here pauses the whole process, never retries at once;
- subscriptions: developers.hubspot.com/docs/api-reference/2026-03/communication-preferences/guide,
  `GET /communication-preferences/2026-03/definitions`, `GET|POST .../statuses/{subscriberIdString}` (scopes
  `subscriptions-definition-read`, `subscriptions-status-read` / `-write`: the 2026-03 guide's "Scope requirements").
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable
from urllib.parse import quote

import requests

from ..logs import log_event
from ..metrics import record_hubspot_call
from .errors import (Action, HubSpotError, PermanentError, RateLimited, TransientError, action_of, error_type_for,
                     rate_limited)
from .ratelimit import RateLimiter

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT_S = 30
IP_BLOCK_S = 60.0
IP_BLOCK_BODY = "error code: 1015"


class SubmissionRejected(PermanentError):
    """HubSpot refused this submission's data (`errorTypes`, e.g. INVALID_HUTK, INVALID_EMAIL): one order's warning."""

    def __init__(self, message: str, error_types: list[str], **kw):
        super().__init__(message, **kw)
        self.error_types = error_types


@dataclass(frozen=True)
class SubscriptionStatus:
    status: str  # SUBSCRIBED | NOT_SUBSCRIBED | NOT_SPECIFIED
    timestamp: str
    source: str


class IpGuard:
    """Process-wide pause of form submissions: HubSpot's block is per IP, so it holds every portal of this host."""

    def __init__(self) -> None:
        self._until = 0.0
        self._lock = threading.Lock()

    def wait_s(self) -> float:
        with self._lock:
            return max(0.0, self._until - time.monotonic())

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._until = max(self._until, time.monotonic() + seconds)


SUBMISSIONS_GUARD = IpGuard()


class MarketingGateway:
    def __init__(self, portal_id: int, token_provider: Callable[[int], str], *, api_base: str, forms_base: str,
                 limiter: RateLimiter, http: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep, max_attempts: int = 4,
                 submissions_guard: IpGuard = SUBMISSIONS_GUARD):
        self.portal_id = portal_id
        self._token_provider, self._api_base, self._forms_base = token_provider, api_base, forms_base
        self._limiter, self._http, self._sleep = limiter, http or requests.Session(), sleep
        self._max_attempts, self._guard = max_attempts, submissions_guard
        self.calls = 0

    # -- forms ---------------------------------------------------------------------------------
    def create_form(self, name: str, fields: list[dict]) -> str:
        body = {"name": name, "formType": "hubspot", "archived": False,
                "fieldGroups": [{"groupType": "default_group", "richTextType": "text", "fields": fields}],
                "configuration": {"createNewContactForNewEmail": True, "editable": True, "language": "fr"},
                "legalConsentOptions": {"type": "none"}}
        return str(self._send("forms.create", "POST", f"{self._api_base}/marketing/v3/forms/", body,
                              idempotent=False)["id"])

    def form_exists(self, form_id: str) -> bool:
        try:
            self._send("forms.read", "GET", f"{self._api_base}/marketing/v3/forms/{quote(form_id, safe='')}")
        except PermanentError as error:
            if error.status == 404:
                return False
            raise
        return True

    def submit(self, form_id: str, fields: list[dict], context: dict, legal_consent: dict | None) -> None:
        """One secure submission. Never retried after HubSpot may have taken it (only 429s, which it did not)."""
        body = {"fields": fields, "context": context}
        if legal_consent:
            body["legalConsentOptions"] = legal_consent
        url = f"{self._forms_base}/submissions/v3/integration/secure/submit/{self.portal_id}/{quote(form_id, safe='')}"
        self._send("forms.submit", "POST", url, body, idempotent=False, guard=self._guard)

    # -- email subscriptions ---------------------------------------------------------------------
    def subscription_definitions(self) -> list[dict]:
        url = f"{self._api_base}/communication-preferences/2026-03/definitions"
        return list(self._send("subscriptions.definitions", "GET", url).get("results") or [])

    def subscription_status(self, email: str, subscription_id: int) -> SubscriptionStatus | None:
        url = f"{self._api_base}/communication-preferences/2026-03/statuses/{quote(email, safe='@')}?channel=EMAIL"
        for item in self._send("subscriptions.status", "GET", url).get("results") or []:
            if int(item.get("subscriptionId") or 0) == subscription_id:
                return SubscriptionStatus(item.get("status", "NOT_SPECIFIED"), item.get("timestamp", ""),
                                          item.get("source", ""))
        return None

    def set_subscription(self, email: str, subscription_id: int, subscribed: bool, explanation: str) -> None:
        url = f"{self._api_base}/communication-preferences/2026-03/statuses/{quote(email, safe='@')}"
        body = {"channel": "EMAIL", "subscriptionId": subscription_id,
                "statusState": "SUBSCRIBED" if subscribed else "NOT_SUBSCRIBED"}
        if subscribed:
            body |= {"legalBasis": "CONSENT_WITH_NOTICE", "legalBasisExplanation": explanation}
        self._send("subscriptions.update", "POST", url, body, idempotent=True)

    # -- plumbing --------------------------------------------------------------------------------
    def _send(self, operation: str, method: str, url: str, body: dict | None = None, *, idempotent: bool = True,
              guard: IpGuard | None = None) -> dict:
        limited = 0
        for attempt in range(1, self._max_attempts + 1):
            if guard is not None and (held := guard.wait_s()) > 0:
                self._sleep(held)
            self._limiter.acquire(self.portal_id)
            headers = {"Authorization": f"Bearer {self._token_provider(self.portal_id)}",
                       "Accept": "application/json"}
            self.calls += 1
            try:
                response = self._http.request(method, url, json=body, headers=headers, timeout=REQUEST_TIMEOUT_S)
            except requests.RequestException as error:
                record_hubspot_call(self.portal_id, None)
                failure: HubSpotError = TransientError(f"{type(error).__name__}: {error}")
            else:
                record_hubspot_call(self.portal_id, response.status_code)
                if response.status_code < 300:
                    return response.json() if response.content else {}
                failure = self._error(response, guard)
            last, action = attempt == self._max_attempts, action_of(failure)
            if action is Action.RATE_LIMITED and not last:
                limited += 1
                wait = failure.wait_s(limited)
                self._limiter.pause(self.portal_id, wait)
                log_event(logger, "hubspot.rate_limited", logging.WARNING, portal_id=self.portal_id,
                          operation=operation, wait_s=wait)
                continue
            if action is Action.RETRY and idempotent and not last:
                self._sleep(min(0.2 * 2 ** (attempt - 1), 5.0))
                continue
            raise failure
        raise AssertionError("unreachable")

    def _error(self, response: requests.Response, guard: IpGuard | None) -> HubSpotError:
        status = response.status_code
        if status == 429 and response.text.strip() == IP_BLOCK_BODY:
            if guard is not None:
                guard.hold(IP_BLOCK_S)
            log_event(logger, "hubspot.forms.ip_blocked", logging.ERROR, portal_id=self.portal_id)
            return RateLimited("HubSpot blocked this host's form submissions for a minute", retry_after=IP_BLOCK_S,
                               status=status)
        try:
            data = response.json()
        except ValueError:
            data = {}
        message = str(data.get("message") or response.text[:300] or f"HTTP {status}")
        if status == 429:
            if guard is not None:  # one 429 already counts towards the IP block: hold every portal, not just this one
                guard.hold(1.0)
            return rate_limited(message, response.headers, status=status)
        error_types = [e.get("errorType") for e in data.get("errors") or [] if e.get("errorType")]
        if status == 400 and error_types:
            details = "; ".join(str(e.get("message")) for e in data.get("errors") or [])
            return SubmissionRejected(f"{', '.join(error_types)}: {details}"[:500], error_types, status=status)
        cls = error_type_for(status)
        return cls(message[:500], status=status, correlation_id=data.get("correlationId"))
