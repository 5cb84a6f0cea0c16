"""HubSpot's CRM schema, for the set-up: property groups, properties and pipelines.

A part of the CRM gateway (`crm.CrmGateway.schema`), apart from its data calls: the set-up uses these once per
install, and they are sent as the SDK's own models, which the SDK checks (`client_side_validation`). Every call
goes through the gateway's `_call`, so the same rate limiter, retries and error mapping apply.
"""
from __future__ import annotations

import logging
from typing import Callable

from hubspot.crm.pipelines import models as pipeline_models
from hubspot.crm.properties import models as prop_models

from ..logs import log_event
from .errors import Conflict

logger = logging.getLogger(__name__)


class CrmSchema:
    def __init__(self, portal_id: int, call: Callable, timeout_s: float):
        self.portal_id = portal_id
        self._call, self._timeout_s = call, timeout_s

    def properties(self, object_type: str) -> list:
        """The object type's properties, as the SDK's `Property` models."""
        page = self._call(f"{object_type}.properties", "properties", lambda api: api.get_all(
            object_type, _request_timeout=self._timeout_s), idempotent=True)
        return page.results or []

    def property_names(self, object_type: str) -> set[str]:
        return {p.name for p in self.properties(object_type)}

    def group_names(self, object_type: str) -> set[str]:
        page = self._call(f"{object_type}.groups", "groups", lambda api: api.get_all(
            object_type, _request_timeout=self._timeout_s), idempotent=True)
        return {g.name for g in page.results or []}

    def create_group(self, object_type: str, name: str, label: str, display_order: int = -1) -> None:
        body = prop_models.PropertyGroupCreate(name=name, label=label, display_order=display_order)
        self._create_tolerating_conflict(f"{object_type}.group", "groups", lambda api: api.create(
            object_type, body, _request_timeout=self._timeout_s))

    def create_properties(self, object_type: str, specs: list[dict]) -> None:
        """Batch create. Raises Conflict when one already exists (e.g. made by a retried attempt): re-read, retry."""
        body = prop_models.BatchInputPropertyCreate(inputs=[
            prop_models.PropertyCreate(**{**spec, "options": [prop_models.OptionInput(**o)
                                                              for o in spec.get("options", [])]})
            for spec in specs])
        self._call(f"{object_type}.properties.create", "property_batch", lambda api: api.create(
            object_type, body, _request_timeout=self._timeout_s), idempotent=False)

    def _create_tolerating_conflict(self, operation: str, api_name: str, invoke: Callable) -> None:
        # A 409 means an earlier attempt (maybe one whose answer was lost in a 5xx) already made it:
        # that is success, which makes these named creates safe to retry like idempotent calls.
        try:
            self._call(operation, api_name, invoke, idempotent=True)
        except Conflict:
            log_event(logger, "hubspot.already_exists", portal_id=self.portal_id, operation=operation)

    def pipelines(self, object_type: str) -> list[dict]:
        page = self._call(f"{object_type}.pipelines", "pipelines", lambda api: api.get_all(
            object_type, _request_timeout=self._timeout_s), idempotent=True)
        return [{"id": p.id, "label": p.label,
                 "stages": [{"id": s.id, "label": s.label} for s in p.stages or []]}
                for p in page.results or []]

    def create_pipeline(self, object_type: str, label: str, stages: list[dict]) -> dict:
        """stages: {label, metadata} in display order (deal stages: `probability`; order stages: `state`)."""
        body = pipeline_models.PipelineInput(label=label, display_order=0, stages=[
            pipeline_models.PipelineStageInput(label=s["label"], display_order=i, metadata=s["metadata"])
            for i, s in enumerate(stages)])
        p = self._call(f"{object_type}.pipeline.create", "pipelines", lambda api: api.create(
            object_type, body, _request_timeout=self._timeout_s), idempotent=False)
        return {"id": p.id, "label": p.label, "stages": [{"id": s.id, "label": s.label} for s in p.stages or []]}
