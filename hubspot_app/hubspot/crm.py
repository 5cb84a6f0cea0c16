"""The HubSpot CRM adapter: the only module that calls the hubspot SDK for CRM data (its schema calls for the
set-up are a part of it, `crm_schema.CrmSchema`, reached as `CrmGateway.schema`).

One short method per API call; a batch longer than HubSpot's limit (`limits`) is sent as several calls, so
callers never slice. Every call goes through `_call`, which takes a
slot from the portal's rate limiter and applies the transport retry layer:
429 is always retried after HubSpot's interval (the request was not processed);
5xx and connection errors are retried only for idempotent calls (upserts,
updates, reads, archives, association writes), never for a plain create.
Batch results come back split per input as `BatchOutcome` (`batch_answers`).

Batch request bodies are plain JSON of the documented shapes, sent as they
are (`plain_json`): each SDK model object deep-copies a Configuration, which
costs seconds per 10,000 associations. For the same reason the answers of the
sync's hot calls (batch upsert, v4 association create) are read as plain JSON
(`_preload_content=False`): their models parse two dates per result with
dateutil, the largest client-side cost of a backfill. Errors still come back as
the SDK's exceptions.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from typing import Callable, Iterable

import hubspot
from urllib3.util.retry import Retry

from ..logs import log_event
from ..metrics import record_hubspot_call
from hubspot_app.domain.limits import ASSOCIATION_BATCH, OBJECT_BATCH, batches
from .batch_answers import BatchOutcome, plain_answer, split_answer
from .crm_schema import CrmSchema
from .errors import Action, HubSpotError, action_of, from_exception
from .plain_json import PlainJson, plain_json_api_factory
from .ratelimit import RateLimiter
from .search_plan import plan_search

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT_S = 30
# Calls in flight for a sync (see `in_flight`): HubSpot's batch calls take a few hundred ms; never fewer
# than 2 so one slow call does not idle the limiter, never more than 12 (a full 10 s window's burst is 100).
MIN_IN_FLIGHT, MAX_IN_FLIGHT = 2, 12
FIRST_LATENCY_GUESS_S = 0.3
# Connections kept per API client: the SDK's default (5 per CPU: 10 here) is below the calls a sync keeps in
# flight (the executor's threads, up to 16), and urllib3 then closes a connection after each call past it
# ("Connection pool is full, discarding connection") and opens a new one for the next.
CONNECTION_POOL = 16


# urllib3 (under the SDK) would otherwise retry on its own, e.g. a 429 with Retry-After or a dropped
# connection, unseen by the gateway: the shared rate-limit pause, the metrics and our retry rules would miss it.
NO_TRANSPORT_RETRY = Retry(total=0, redirect=0, respect_retry_after_header=False, raise_on_status=False)


class CrmGateway:
    def __init__(self, portal_id: int, token_provider: Callable[[int], str], *, host: str,
                 limiter: RateLimiter, max_attempts: int = 6, sleep: Callable[[float], None] = time.sleep,
                 **sdk_options):
        self.portal_id = portal_id
        self._token_provider, self._host = token_provider, host
        self._sdk_options = {"retry": NO_TRANSPORT_RETRY, "connection_pool_maxsize": CONNECTION_POOL,
                             "api_factory": plain_json_api_factory, **sdk_options}
        self._limiter, self._max_attempts, self._sleep = limiter, max_attempts, sleep
        self._token: str | None = None
        self._apis: dict[str, object] = {}
        self._enumerations: dict[str, dict[str, set[str]]] = {}  # search checks, per object type
        # Where the time goes, for logs and the benchmark: waiting for the limiter vs inside HubSpot calls.
        self.calls, self.waited_s, self.in_call_s = 0, 0.0, 0.0
        self.latency_s = FIRST_LATENCY_GUESS_S  # moving average of one call's duration
        self._stats_lock = threading.Lock()
        # the set-up's calls (groups, properties, pipelines), through the same `_call`
        self.schema = CrmSchema(portal_id, self._call, REQUEST_TIMEOUT_S)

    def in_flight(self, headroom: float = 1.5) -> int:
        """Calls to keep in flight to use the limiter's whole rate (Little's law: rate x latency).

        The headroom covers jitter: a call slower than average must not leave a
        slot of the rate unused. The limiter still paces the requests themselves.
        """
        rate = getattr(self._limiter, "rate_per_s", 10.0)
        return max(MIN_IN_FLIGHT, min(MAX_IN_FLIGHT, math.ceil(rate * self.latency_s * headroom)))

    # -- plumbing ------------------------------------------------------------------
    def _api(self, name: str):
        token = self._token_provider(self.portal_id)
        if token != self._token:  # refreshed: the SDK bakes the token into each API object
            self._token, self._apis = token, {}
        if name not in self._apis:
            client = hubspot.Client.create(access_token=token, host=self._host, **self._sdk_options)
            self._apis[name] = {
                "objects": lambda: client.crm.objects.batch_api,
                "search": lambda: client.crm.objects.search_api,
                "associations": lambda: client.crm.associations.v4.batch_api,
                "properties": lambda: client.crm.properties.core_api,
                "property_batch": lambda: client.crm.properties.batch_api,
                "groups": lambda: client.crm.properties.groups_api,
                "pipelines": lambda: client.crm.pipelines.pipelines_api,
            }[name]()
        return self._apis[name]

    def _call(self, operation: str, api_name: str, invoke: Callable, *, idempotent: bool):
        limited = 0
        for attempt in range(1, self._max_attempts + 1):
            api = self._api(api_name)  # outside the try: a token failure is the install area's, not HubSpot's
            started = time.perf_counter()
            self._limiter.acquire(self.portal_id)
            sent = time.perf_counter()
            try:
                result = invoke(api)
                record_hubspot_call(self.portal_id, 200)
                return result
            except Exception as raw:  # noqa: BLE001 - every SDK/urllib3 error is mapped right here
                error = from_exception(raw)
                record_hubspot_call(self.portal_id, error.status)
            finally:
                with self._stats_lock:  # the executor calls from several threads
                    self.calls += 1
                    self.waited_s += sent - started
                    took = time.perf_counter() - sent
                    self.in_call_s += took
                    self.latency_s += 0.2 * (took - self.latency_s)
            last = attempt == self._max_attempts
            action = action_of(error)
            if action is Action.RATE_LIMITED and not last:
                limited += 1
                wait = error.wait_s(limited)
                self._limiter.pause(self.portal_id, wait)  # every worker of this portal waits, not just us
                log_event(logger, "hubspot.rate_limited", logging.WARNING, portal_id=self.portal_id,
                          operation=operation, wait_s=wait)
                continue
            if action is Action.RETRY and idempotent and not last:
                delay = min(0.2 * 2 ** (attempt - 1), 5.0)
                log_event(logger, "hubspot.retry", logging.WARNING, portal_id=self.portal_id,
                          operation=operation, status=error.status, attempt=attempt, delay_s=delay)
                self._sleep(delay)
                continue
            raise error

    # -- objects ---------------------------------------------------------------------
    def upsert(self, object_type: str, id_property: str, inputs: list[tuple[str, dict]]) -> BatchOutcome:
        """Create-or-update by a unique property; idempotent, so retried on 5xx too."""
        return BatchOutcome.merged(self._upsert(object_type, id_property, part)
                                   for part in batches(inputs, OBJECT_BATCH))

    def _upsert(self, object_type: str, id_property: str, inputs) -> BatchOutcome:
        body = PlainJson(inputs=[{"idProperty": id_property, "id": key, "properties": props,
                                  "objectWriteTraceId": key} for key, props in inputs])
        response = self._call(f"{object_type}.upsert", "objects", lambda api: plain_answer(api.upsert(
            object_type, body, _request_timeout=REQUEST_TIMEOUT_S, _preload_content=False)), idempotent=True)
        keys = [key for key, _ in inputs]
        lowered = {k.lower(): k for k in keys}

        def key_of(result):
            trace = getattr(result, "object_write_trace_id", None)
            if trace in keys:
                return trace
            value = (result.properties or {}).get(id_property)
            return lowered.get(str(value).lower()) if value is not None else None

        return split_answer(keys, response, key_of)

    def update(self, object_type: str, inputs: list[tuple[str, dict]]) -> BatchOutcome:
        return BatchOutcome.merged(self._update(object_type, part) for part in batches(inputs, OBJECT_BATCH))

    def _update(self, object_type: str, inputs) -> BatchOutcome:
        body = PlainJson(inputs=[{"id": hs_id, "properties": props} for hs_id, props in inputs])
        response = self._call(f"{object_type}.update", "objects", lambda api: api.update(
            object_type, body, _request_timeout=REQUEST_TIMEOUT_S), idempotent=True)
        return split_answer([hs_id for hs_id, _ in inputs], response, lambda r: str(r.id))

    def read(self, object_type: str, ids: list[str], properties: list[str],
             id_property: str | None = None) -> dict[str, dict]:
        """key -> properties for the records that exist (archived or unknown ones are absent)."""
        found: dict[str, dict] = {}
        for part in batches(ids, OBJECT_BATCH):
            found.update(self._read(object_type, part, properties, id_property))
        return found

    def _read(self, object_type: str, ids, properties: list[str], id_property: str | None) -> dict[str, dict]:
        body = PlainJson(inputs=[{"id": i} for i in ids], properties=properties, propertiesWithHistory=[],
                         **({"idProperty": id_property} if id_property else {}))
        response = self._call(f"{object_type}.read", "objects", lambda api: api.read(
            object_type, body, archived=False, _request_timeout=REQUEST_TIMEOUT_S), idempotent=True)
        found = {}
        for result in getattr(response, "results", None) or []:
            props = dict(result.properties or {})
            key = props.get(id_property) if id_property else result.id
            found[str(key)] = {**props, "hs_object_id": str(result.id)}
        return found

    def archive(self, object_type: str, ids: list[str]) -> None:
        for part in batches(ids, OBJECT_BATCH):
            body = PlainJson(inputs=[{"id": i} for i in part])
            self._call(f"{object_type}.archive", "objects", lambda api: api.archive(
                object_type, body, _request_timeout=REQUEST_TIMEOUT_S), idempotent=True)

    def search(self, object_type: str, filters: list[dict], properties: list[str]) -> list[dict]:
        """Every record matching all `filters`, as dicts, in as few requests as HubSpot's search limits allow.

        The plan (`search_plan.plan_search`) splits a long IN list over groups and requests; the pages of each
        request are read to the end and the rows merged by id. Filters on enumeration properties must name
        the stored option id: HubSpot compares them case-sensitively, so a label or a re-cased id would find
        nothing without saying so; `_check_enumerations` refuses them instead.
        """
        self._check_enumerations(object_type, filters)
        rows: dict[str, dict] = {}
        for planned in plan_search(filters, properties):
            after = None
            while True:
                body = {**planned, **({"after": after} if after else {})}
                page = self._call(f"{object_type}.search", "search", lambda api: api.do_search(
                    object_type, body, _request_timeout=REQUEST_TIMEOUT_S), idempotent=True)
                for result in page.results or []:
                    rows.setdefault(str(result.id), {**(result.properties or {}), "hs_object_id": str(result.id)})
                after = page.paging.next.after if page.paging and page.paging.next else None
                if after is None:
                    break
        return list(rows.values())

    def _check_enumerations(self, object_type: str, filters: list[dict]) -> None:
        for item in filters:
            allowed = self._enumeration_ids(object_type).get(item["propertyName"])
            if allowed is None:
                continue
            named = [item["value"]] if "value" in item else list(item.get("values") or [])
            unknown = [str(v) for v in named if str(v) not in allowed]
            if unknown:
                raise ValueError(f"search filter on {object_type}.{item['propertyName']}: {unknown[:3]} are not "
                                 "stored option ids (HubSpot matches enumeration values exactly)")

    def _enumeration_ids(self, object_type: str) -> dict[str, set[str]]:
        """Enumeration property -> its stored option ids (pipeline and stage ids for deals), read once."""
        if object_type not in self._enumerations:
            ids = {p.name: {o.value for o in p.options} for p in self.schema.properties(object_type)
                   if p.type == "enumeration" and p.options}
            if object_type == "deals":
                pipelines = self.schema.pipelines("deals")
                ids["pipeline"] = {p["id"] for p in pipelines}
                ids["dealstage"] = {s["id"] for p in pipelines for s in p["stages"]}
            self._enumerations[object_type] = ids
        return self._enumerations[object_type]

    # -- associations (v4) ------------------------------------------------------------
    def associate(self, from_type: str, to_type: str, type_id: int, pairs: Iterable[tuple[str, str]]) -> list[str]:
        """Idempotent (re-linking linked records is a no-op); returns HubSpot's per-input error messages."""
        spec = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]
        messages = []
        for part in batches(list(pairs), ASSOCIATION_BATCH):
            body = PlainJson(inputs=[{"from": {"id": a}, "to": {"id": b}, "types": spec} for a, b in part])
            response = self._call(f"{from_type}.{to_type}.associate", "associations", lambda api: plain_answer(api.create(
                from_type, to_type, body, _request_timeout=REQUEST_TIMEOUT_S, _preload_content=False)),
                idempotent=True)
            messages += [f"{e.category}: {e.message}" for e in getattr(response, "errors", None) or []]
        return messages

    def unassociate(self, from_type: str, to_type: str, pairs: Iterable[tuple[str, str]]) -> None:
        body = PlainJson(inputs=[{"from": {"id": a}, "to": [{"id": b}]} for a, b in pairs])
        self._call(f"{from_type}.{to_type}.unassociate", "associations", lambda api: api.archive(
            from_type, to_type, body, _request_timeout=REQUEST_TIMEOUT_S), idempotent=True)


__all__ = ["CrmGateway", "BatchOutcome", "HubSpotError"]
