"""Batch answers of HubSpot's CRM API, split per input: what each key got (an id) or why not (a message).

HubSpot answers a batch with `results` and `errors` (a 207 for a partial success); an error's `context` names
the inputs it is about, and an input named nowhere is reported as such rather than lost.
"""
from __future__ import annotations

import orjson
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Iterable


def plain_answer(response) -> SimpleNamespace:
    """A raw 2xx batch answer as the attributes `split_answer` reads from the SDK's models."""
    try:
        data = orjson.loads(response.data or b"{}")
    finally:
        response.release_conn()
    return SimpleNamespace(
        results=[SimpleNamespace(id=r.get("id"), properties=r.get("properties") or {},
                                 object_write_trace_id=r.get("objectWriteTraceId"))
                 for r in data.get("results") or []],
        errors=[SimpleNamespace(category=e.get("category"), message=e.get("message"), context=e.get("context"))
                for e in data.get("errors") or []])


@dataclass
class BatchOutcome:
    """Per-input result of one batch call: key -> HubSpot id, key -> HubSpot's error message."""

    ids: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def merged(cls, outcomes: Iterable["BatchOutcome"]) -> "BatchOutcome":
        whole = cls()
        for outcome in outcomes:
            whole.ids.update(outcome.ids)
            whole.errors.update(outcome.errors)
        return whole


def split_answer(keys: list[str], response, key_of) -> BatchOutcome:
    outcome = BatchOutcome()
    for result in getattr(response, "results", None) or []:
        key = key_of(result)
        if key is not None:
            outcome.ids[key] = str(result.id)
    wanted = set(keys)
    for error in getattr(response, "errors", None) or []:
        context = error.context or {}
        named = {v for values in context.values() for v in (values or []) if v in wanted}
        for key in named or (wanted - outcome.ids.keys()):
            outcome.errors.setdefault(key, f"{error.category}: {error.message}")
    for key in keys:
        if key not in outcome.ids and key not in outcome.errors:
            outcome.errors[key] = "HubSpot returned no result for this input"
    return outcome
