"""Everything the HubSpot sandbox knows: portals and their data, tokens, limits, faults, the request log."""
from __future__ import annotations

import threading

from .clock import Clock
from .errors import HubSpotError, not_found
from .events import EventBus
from .faults import Faults
from .marketing import Marketing, Visit, default_definitions, status_item
from .oauth import KNOWN_SCOPES, OAuthServer
from .objects import CrmService, Plan
from .portal import Portal, Record
from .ratelimit import IpBlock, RollingWindowLimiter
from .requestlog import RequestLog
from .schema import object_type


SANDBOX_USER_ID = 1


class SandboxState:
    def __init__(self, client_id: str = "sandbox-client-id", client_secret: str = "sandbox-client-secret",
                 app_id: int = 1000, auto_approve: bool = False, rate_limit: tuple[int, float] = (110, 10.0),
                 fault_rate: float = 0.0, seed: int = 0, search_rate_limit: tuple[int, float] = (5, 1.0),
                 redirect_uris: list[str] | None = None, latency_s: float = 0.0, strict: bool = True,
                 card_backend_url: str | None = None) -> None:
        self.clock = Clock()
        self.events = EventBus()
        self.request_log = RequestLog()
        self.faults = Faults(fault_rate, seed)
        self.rate_limiter = RollingWindowLimiter(*rate_limit, now=self.clock.now)
        self.search_rate_limiter = RollingWindowLimiter(*search_rate_limit, now=self.clock.now)
        self.forms_ip_guard = IpBlock(self.clock.now)
        self.oauth = OAuthServer(client_id, client_secret, app_id, self.clock.now)
        self.app_id = app_id
        self.auto_approve = auto_approve
        self.redirect_uris = list(redirect_uris) if redirect_uris else None
        # Added to every API call, outside the state lock: HubSpot answers a batch in a few hundred ms.
        self.latency_s = float(latency_s)
        # Where HubSpot's docs are silent, strict mode (the default, which the test suite runs in) refuses
        # rather than guessing; `strict=False` keeps the lenient guesses for exploring by hand.
        self.strict = strict
        self.portals: dict[int, Portal] = {}
        self.installed: set[int] = set()
        # Where the card preview's `hubspot.fetch` really goes (the app on loopback): see card_fetch_proxy.py.
        self.card_backend_url = card_backend_url
        # One lock serialises every change, like a single database transaction per request.
        self.lock = threading.RLock()
        self._next_portal = 10_000_001
        self._marketing: dict[int, Marketing] = {}
        # Installs leave out the optional scopes they asked for when False (a user who does not grant them).
        self.grant_optional_scopes = True

    # -- portals and tokens ------------------------------------------------------------------
    def create_portal(self, hub_domain: str | None = None) -> int:
        with self.lock:
            portal_id = self._next_portal
            self._next_portal += 1
            self.portals[portal_id] = Portal(portal_id, hub_domain or f"portal-{portal_id}.sandbox.hubspot.test",
                                             self.clock.now)
            return portal_id

    def portal(self, portal_id: int) -> Portal:
        portal = self.portals.get(int(portal_id))
        if portal is None or portal.deleted:
            raise not_found(f"portal {portal_id} not found")
        return portal

    def portal_alive(self, portal_id: int) -> bool:
        portal = self.portals.get(int(portal_id))
        return portal is not None and not portal.deleted

    def delete_portal(self, portal_id: int) -> None:
        """The account itself is deleted: its tokens stop working and refresh answers BAD_HUB."""
        with self.lock:
            self.portal(portal_id).deleted = True

    def issue_tokens(self, portal_id: int, scopes: list[str] | None = None) -> dict:
        """Tokens for an installed app, as the token endpoint would answer, skipping the browser flow."""
        with self.lock:
            self.portal(portal_id)
            self.installed.add(int(portal_id))
            return self.oauth.token_response(int(portal_id), sorted(scopes or KNOWN_SCOPES))

    def uninstall(self, portal_id: int) -> None:
        with self.lock:
            self.installed.discard(int(portal_id))
            self.oauth.uninstall(int(portal_id))

    # -- data access -------------------------------------------------------------------------
    def crm(self, portal_id: int, change_source: str = "INTEGRATION") -> CrmService:
        # HubSpot names the writer: the app id for API calls, the user for UI actions.
        source_id = str(self.app_id) if change_source == "INTEGRATION" else f"userId:{SANDBOX_USER_ID}"
        return CrmService(self.portal(portal_id), self.clock, self.events, change_source, source_id)

    def objects(self, portal_id: int, object_type_name: str) -> dict[str, Record]:
        """Read access for assertions: id -> Record (archived ones included, flagged)."""
        return dict(self.portal(portal_id).records[object_type(object_type_name).name])

    # -- what a person does in HubSpot's UI (changeSource CRM_UI) ------------------------------
    def _user(self, portal_id: int) -> CrmService:
        return self.crm(portal_id, change_source="CRM_UI")

    def user_create(self, portal_id: int, object_type_name: str, properties: dict) -> Record:
        with self.lock:
            return self._user(portal_id).create(object_type(object_type_name), {"properties": properties})

    def user_update(self, portal_id: int, object_type_name: str, object_id, properties: dict) -> Record:
        with self.lock:
            return self._user(portal_id).update(object_type(object_type_name), str(object_id),
                                                {"properties": properties})

    def user_delete(self, portal_id: int, object_type_name: str, object_id) -> bool:
        with self.lock:
            return self._user(portal_id).archive(object_type(object_type_name), str(object_id))

    def user_restore(self, portal_id: int, object_type_name: str, object_id) -> Record:
        with self.lock:
            return self._user(portal_id).restore(object_type(object_type_name), str(object_id))

    def user_merge_contacts(self, portal_id: int, primary_id, merged_id) -> Record:
        with self.lock:
            return self._user(portal_id).merge(object_type("contacts"), str(primary_id), str(merged_id))

    def user_merge(self, portal_id: int, object_type_name: str, primary_id, merged_id) -> Record:
        with self.lock:
            return self._user(portal_id).merge(object_type(object_type_name), str(primary_id), str(merged_id))

    def user_privacy_delete_contact(self, portal_id: int, object_id) -> None:
        with self.lock:
            self._user(portal_id).privacy_delete(object_type("contacts"), str(object_id))

    # -- marketing: forms, visitor histories, email subscriptions ------------------------------
    def marketing_of(self, portal_id: int) -> Marketing:
        self.portal(portal_id)
        with self.lock:
            marketing = self._marketing.setdefault(int(portal_id), Marketing())
            if not marketing.definitions:
                marketing.definitions = default_definitions(self.clock.iso())
            return marketing

    def record_visits(self, portal_id: int, hutk: str, visits: list[Visit]) -> None:
        """The tracking code saw these page views from the visitor with cookie `hutk` (not yet a contact)."""
        with self.lock:
            self.marketing_of(portal_id).visits.setdefault(hutk, []).extend(visits)

    def subscription_definitions(self, portal_id: int) -> list[dict]:
        return list(self.marketing_of(portal_id).definitions)

    def subscription_statuses(self, portal_id: int, email: str) -> list[dict]:
        marketing, now = self.marketing_of(portal_id), self.clock.iso()
        return [status_item(email, d, marketing.statuses.get((email, int(d["id"]))), now)
                for d in marketing.definitions if not d["isInternal"]]

    def set_subscription(self, portal_id: int, email: str, subscription_id: int, status: str, source: str,
                         legal_basis: str | None = None, explanation: str = "",
                         change_source: str = "INTEGRATION") -> dict:
        """Set one email subscription status; HubSpot mirrors it on the contact's `hs_email_optout_{id}`."""
        with self.lock:
            marketing = self.marketing_of(portal_id)
            definition = next((d for d in marketing.definitions if int(d["id"]) == subscription_id), None)
            if definition is None:
                raise HubSpotError(400, f"Subscription type {subscription_id} does not exist", "VALIDATION_ERROR")
            entry = {"status": status, "source": source, "timestamp": self.clock.iso(), "legalBasis": legal_basis,
                     "legalBasisExplanation": explanation}
            marketing.statuses[(email, subscription_id)] = entry
            values = {f"hs_email_optout_{subscription_id}": "true" if status == "NOT_SUBSCRIBED" else "false"}
            contact = self.crm(portal_id).find_by_value(object_type("contacts"), "email", email)
            if status == "SUBSCRIBED" and contact is not None and contact.properties.get("hs_email_optout") == "true":
                values["hs_email_optout"] = "false"  # opting in again ends "unsubscribed from all email"
            self._set_contact_properties(portal_id, email, values, change_source)
            return status_item(email, definition, entry, self.clock.iso())

    def _set_contact_properties(self, portal_id: int, email: str, values: dict, change_source: str) -> None:
        """Properties HubSpot itself keeps on the contact (no validation: users cannot write them)."""
        crm = self.crm(portal_id, change_source=change_source)
        contact = crm.find_by_value(object_type("contacts"), "email", email)
        if contact is not None:
            crm.apply(Plan(object_type("contacts"), values, contact, [], {}))

    def user_unsubscribe_all(self, portal_id: int, email: str) -> list[dict]:
        """The contact opts out of all email: every type NOT_SUBSCRIBED, `hs_email_optout` true."""
        email = email.strip().lower()
        with self.lock:
            items = [self.set_subscription(portal_id, email, int(d["id"]), "NOT_SUBSCRIBED", "Unsubscribe link",
                                           change_source="CRM_UI")
                     for d in self.marketing_of(portal_id).definitions if not d["isInternal"]]
            self._set_contact_properties(portal_id, email, {"hs_email_optout": "true"}, "CRM_UI")
            return items

    def user_set_subscription(self, portal_id: int, email: str, subscription_id: int, status: str) -> dict:
        """The contact changes its preferences (preference centre / unsubscribe link)."""
        return self.set_subscription(portal_id, email.strip().lower(), subscription_id, status,
                                     "Self-service resubscription" if status == "SUBSCRIBED" else "Unsubscribe link",
                                     change_source="CRM_UI")
