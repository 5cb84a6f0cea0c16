"""Run a plan against HubSpot: resolve association ends to ids, split partial failures per record.

A 207 marks only the failing inputs. A whole-batch 4xx (HubSpot refuses the
entire batch for one bad contact when upserting by email) is bisected until the
bad inputs stand alone, so good records still go through.

A contact HubSpot already has (its link names an id) is updated by that id,
without `email`: after a merge the link of the merged-away email names the
survivor, and an upsert by that email would make it the survivor's primary
email, or create the merged contact again.
"""
from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Callable, Protocol

from ..hubspot.errors import PermanentError, Unauthorized
from hubspot_app.domain.batch import Built
from hubspot_app.domain.planner import HUBSPOT_TYPE, ID_PROPERTY, LINE_TYPES, Carried, Step, plan, waves


class BatchOutcomeLike(Protocol):
    ids: dict[str, str]
    errors: dict[str, str]


class CrmPort(Protocol):
    def upsert(self, object_type: str, id_property: str, inputs: list[tuple[str, dict]]) -> BatchOutcomeLike: ...

    def update(self, object_type: str, inputs: list[tuple[str, dict]]) -> BatchOutcomeLike: ...

    def associate(self, from_type: str, to_type: str, type_id: int, pairs: list[tuple[str, str]]) -> list[str]: ...

    def archive(self, object_type: str, ids: list[str]) -> None: ...

    def unassociate(self, from_type: str, to_type: str, pairs: list[tuple[str, str]]) -> None: ...


Ref = tuple[str, str]  # (object type, source key)

DEFAULT_IN_FLIGHT = 3  # for a CRM port that does not size it itself
MAX_IN_FLIGHT = 16  # threads per sync; the gateway's own suggestion stays below this


@dataclass
class Outcome:
    ids: dict[Ref, str] = field(default_factory=dict)
    errors: dict[Ref, str] = field(default_factory=dict)
    # records written but whose associations did not all land: their hash is not stored, so they retry
    incomplete: dict[Ref, str] = field(default_factory=dict)
    archived: set[Ref] = field(default_factory=set)
    linked_id_errors: dict[tuple[str, str], str] = field(default_factory=dict)  # (from id, to id) -> message
    # associations left for the next chunk (`planner.plan(carry=True)`): their owners' hashes wait for them
    carried: dict[tuple, list[Carried]] = field(default_factory=dict)
    # owners whose carried associations (from the chunk before) all landed now -> the hash to store
    completed: dict[Ref, str | None] = field(default_factory=dict)

    @property
    def deferred(self) -> set[Ref]:
        """Owners whose associations are carried: written, but not complete until the next chunk sends them."""
        return {item.owner for items in self.carried.values() for item in items}


def _hubspot(object_type: str) -> str:
    """The HubSpot object type of a planned one (an order's own line items are HubSpot line items)."""
    return HUBSPOT_TYPE.get(object_type, object_type)


def _upsert(crm: CrmPort, object_type: str, inputs: list[tuple[str, dict]]) -> Outcome:
    return bisected(lambda part: crm.upsert(_hubspot(object_type), ID_PROPERTY[object_type], part), object_type,
                    inputs)


def bisected(call: Callable[[list], BatchOutcomeLike], object_type: str, inputs: list[tuple[str, dict]]) -> Outcome:
    """`call` answers per key; a whole-batch refusal is split until the bad inputs stand alone (keys in errors)."""
    outcome = Outcome()
    if not inputs:
        return outcome
    try:
        result = call(inputs)
    except Unauthorized:
        raise
    except PermanentError as error:
        if len(inputs) == 1:
            outcome.errors[(object_type, inputs[0][0])] = error.message
            return outcome
        half = len(inputs) // 2
        for part in (inputs[:half], inputs[half:]):
            sub = bisected(call, object_type, part)
            outcome.ids.update(sub.ids)
            outcome.errors.update(sub.errors)
        return outcome
    outcome.ids.update({(object_type, key): hs_id for key, hs_id in result.ids.items()})
    outcome.errors.update({(object_type, key): message for key, message in result.errors.items()})
    return outcome


def _update(crm: CrmPort, object_type: str, inputs: list[tuple[str, dict]], by_id: dict[Ref, str]) -> Outcome:
    """Records written by their HubSpot id (the planner put one id at most once in `inputs`).

    A contact keeps no `email` here (see the module docstring).
    """
    def update(part: list[tuple[str, dict]]) -> BatchOutcomeLike:
        key_of = {by_id[(object_type, k)]: k for k, _ in part}
        result = crm.update(_hubspot(object_type), [(by_id[(object_type, k)], {n: v for n, v in p.items() if n != "email"}
                                           if object_type == "contacts" else p) for k, p in part])
        # An id HubSpot answers with but we did not send (a merge not yet known here) leaves its input unanswered.
        return SimpleNamespace(ids={key_of[i]: i for i in result.ids if i in key_of},
                               errors={key_of[i]: m for i, m in result.errors.items() if i in key_of})
    return bisected(update, object_type, inputs)


def _associate_ids(crm: CrmPort, kind: tuple, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Pairs already named by ids: one call for all; if HubSpot refuses some, each alone, so one dead
    record does not hold back the others. Returns the pairs that failed, with HubSpot's message."""
    messages = _send_pairs(crm, kind, pairs)
    if not messages:
        return {}
    if len(pairs) == 1:
        return {pairs[0]: messages}
    return {pair: message for pair in pairs if (message := _send_pairs(crm, kind, [pair]))}


def _send_pairs(crm: CrmPort, kind: tuple, pairs: list[tuple[str, str]]) -> str:
    from_type, to_type, type_id = kind
    try:
        return "; ".join(crm.associate(_hubspot(from_type), _hubspot(to_type), type_id, pairs))
    except Unauthorized:
        raise
    except PermanentError as error:  # a whole-batch refusal must not stop the rest of the plan
        return error.message


def _with_product(built: Built, known: dict[Ref, str], outcome: Outcome, key: str, props: dict) -> dict:
    sku = built.line_products.get(key)
    product_id = outcome.ids.get(("products", sku)) or known.get(("products", sku)) if sku else None
    return {**props, "hs_product_id": product_id} if product_id else props


class _Calls:
    """The calls of one plan, prepared on the merging thread (every earlier wave's ids known) and merged back."""

    def __init__(self, crm: CrmPort, built: Built, known: dict[Ref, str], by_id: dict[Ref, str]):
        self.crm, self.built, self.known, self.by_id = crm, built, known, by_id
        self.outcome = Outcome()

    def id_of(self, ref: Ref) -> str | None:
        return self.outcome.ids.get(ref) or self.known.get(ref)

    def call_for(self, step: Step) -> Callable:
        """The call to make for a step, ready to run on any thread."""
        crm = self.crm
        if step.op == "upsert":
            inputs = list(step.items)
            if step.object_type in LINE_TYPES:
                inputs = [(k, _with_product(self.built, self.known, self.outcome, k, p)) for k, p in inputs]
            return lambda: _upsert(crm, step.object_type, inputs)
        if step.op == "update":
            return lambda: _update(crm, step.object_type, list(step.items), self.by_id)
        if step.op == "associate_ids":
            return lambda: _associate_ids(crm, step.association, list(step.items))
        if step.op == "unassociate":
            return self._unassociate(step)
        if step.op in ("associate", "carry"):
            return self._associate(step)
        return self._archive(step)

    def _archive(self, step: Step) -> Callable:
        def archive():
            self.crm.archive(_hubspot(step.object_type), list(step.items))
            return {(step.object_type, hs_id) for hs_id in step.items}
        return archive

    def _associate(self, step: Step) -> Callable:
        """Pairs with both ids known are sent (a "carry" step hands them to the next chunk instead); a missing
        end leaves its owner incomplete."""
        from_type, to_type, type_id = step.association
        pairs, missing = [], {}
        for item in step.items:
            if isinstance(item, Carried):
                pairs.append(item)
                continue
            owner = (from_type, item[0])
            a, b = self.id_of(owner), self.id_of((to_type, item[1]))
            if a and b:
                pairs.append(Carried(a, b, owner, self.built.hashes.get(owner)))
            elif a:
                missing[owner] = f"{to_type} {item[1]} has no HubSpot id"
        if step.op == "carry":
            return lambda: (missing, [], pairs)

        def associate():
            messages = self.crm.associate(_hubspot(from_type), _hubspot(to_type), type_id,
                                          [(p.from_id, p.to_id) for p in pairs]) if pairs else []
            return missing, [(p, message) for message in messages for p in pairs], []
        return associate

    def _unassociate(self, step: Step) -> Callable:
        from_type, to_type = step.association
        pairs = sorted({(from_id, old) for key, old, now in step.items
                        if (from_id := self.id_of((from_type, key))) and not (now and self.id_of((to_type, now)) == old)})

        def unassociate():
            if pairs:
                self.crm.unassociate(_hubspot(from_type), _hubspot(to_type), pairs)
        return unassociate

    def merge(self, step: Step, result) -> None:
        outcome = self.outcome
        if step.op in ("upsert", "update"):
            outcome.ids.update(result.ids)
            outcome.errors.update(result.errors)
        elif step.op == "associate_ids":
            outcome.linked_id_errors.update(result)
        elif step.op in ("associate", "carry"):
            self._merge_associations(step, *result)
        elif step.op == "archive":
            outcome.archived.update(result)

    def _merge_associations(self, step: Step, missing: dict, failed: list, carried: list[Carried]) -> None:
        outcome = self.outcome
        outcome.incomplete.update(missing)
        for pair, message in failed:
            outcome.incomplete.setdefault(pair.owner, message)
        if carried:
            outcome.carried.setdefault(step.association, []).extend(carried)
        elif step.op == "associate":  # the pairs carried in from the chunk before landed: their owners complete
            outcome.completed.update({item.owner: item.digest for item in step.items if isinstance(item, Carried)})


def execute(crm: CrmPort, built: Built, known: dict[Ref, str], by_id: dict[Ref, str] | None = None,
            concurrency: int | None = None, carry: bool = False) -> Outcome:
    """known: ids HubSpot already gave us (from object links); by_id: the inputs to write by id, not upsert
    (default: the contacts HubSpot has, see the module docstring); carry: a chunk of a run whose next chunk
    sends this one's partly filled association batches (`planner.plan`).

    Independent calls of a wave run several at a time: HubSpot answers a batch
    in a few hundred milliseconds, so one call at a time could not use the
    rate the limiter allows. How many: `concurrency` when given,
    else what the gateway's `in_flight()` derives from its limiter's rate and the
    latency it observes (Little's law), re-read as calls end. The limiter still
    paces every request; waves keep their order (a wave starts when the previous
    one has merged).
    """
    if by_id is None:
        by_id = {ref: hs_id for ref, hs_id in known.items() if ref[0] == "contacts"}
    calls = _Calls(crm, built, known, by_id)
    with ThreadPoolExecutor(max_workers=MAX_IN_FLIGHT, thread_name_prefix="hubspot") as pool:
        for wave in waves(plan(built.work, by_id, carry)):
            ready = [calls.call_for(step) for step in wave]
            for step, result in zip(wave, _run_wave(pool, ready, lambda: concurrency or _in_flight_of(crm))):
                calls.merge(step, result)
    outcome = calls.outcome
    for owner in outcome.deferred | set(outcome.incomplete):  # another of its associations is still to land
        outcome.completed.pop(owner, None)
    return outcome


def _in_flight_of(crm) -> int:
    suggest = getattr(crm, "in_flight", None)  # CrmGateway sizes it from its limiter and observed latency
    return suggest() if suggest else DEFAULT_IN_FLIGHT


def _run_wave(pool: ThreadPoolExecutor, calls: list[Callable], limit: Callable[[], int]) -> list:
    """Results in call order; at most `limit()` calls running, re-read as each call ends (latency moves)."""
    results: list = [None] * len(calls)
    running: dict = {}
    queue = list(enumerate(calls))
    queue.reverse()
    while queue or running:
        while queue and len(running) < max(1, min(MAX_IN_FLIGHT, limit())):
            index, call = queue.pop()
            running[pool.submit(call)] = index
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in done:
            results[running.pop(future)] = future.result()
    return results
