"""Deal and order pipelines and their stages of one portal; HubSpot's `default` sales pipeline exists from the start.

Pipelines exist for orders but not for carts (the pipelines guide's list of objects with pipelines,
https://developers.hubspot.com/docs/api-reference/legacy/crm/pipelines/guide).
"""
from __future__ import annotations

from itertools import count

from .clock import iso_timestamp
from .errors import HubSpotError, not_found

# "Pipelines may have up to 100 stages" (create pipeline, https://developers.hubspot.com/docs/methods/pipelines/
# create_new_pipeline); stage labels must differ within a pipeline (pipelines guide,
# https://developers.hubspot.com/docs/api-reference/latest/crm/pipelines/guide).
MAX_DEAL_STAGES = 100
# "Appointment, course, listing, lead, order, and service pipelines can have up to 30 stages" (pipelines guide).
MAX_ORDER_STAGES = 30
# An order stage is in progress (OPEN) or complete (CLOSED) through `metadata.state` (orders guide, "Pipelines and
# stages", https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/orders/guide). The pipelines guide
# calls stage metadata optional outside deals; an order stage without a state is refused here (stricter choice).
ORDER_STAGE_STATES = ("OPEN", "CLOSED")

DEFAULT_STAGES = (
    ("appointmentscheduled", "Appointment Scheduled", "0.2"), ("qualifiedtobuy", "Qualified To Buy", "0.4"),
    ("presentationscheduled", "Presentation Scheduled", "0.6"),
    ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8"), ("contractsent", "Contract Sent", "0.9"),
    ("closedwon", "Closed Won", "1.0"), ("closedlost", "Closed Lost", "0.0"),
)


class PipelineRegistry:
    def __init__(self, now, ids: count) -> None:
        self._now = now
        self._ids = ids
        self.pipelines: dict[str, dict[str, dict]] = {"deals": {}, "orders": {}}
        stages = [{"label": label, "displayOrder": i, "metadata": {"probability": p}, "id": sid}
                  for i, (sid, label, p) in enumerate(DEFAULT_STAGES)]
        self._build("deals", {"label": "Sales Pipeline", "displayOrder": 0, "stages": stages}, "default")

    def _stamp(self) -> str:
        return iso_timestamp(self._now())

    def _table(self, type_name: str) -> dict[str, dict]:
        if type_name not in self.pipelines:
            raise HubSpotError(400, f"Object type {type_name} does not support pipelines", "VALIDATION_ERROR")
        return self.pipelines[type_name]

    def _stage(self, type_name: str, body: dict, stage_id: str | None = None) -> dict:
        for key in ("label", "displayOrder"):
            if body.get(key) is None:
                raise HubSpotError(400, f"Stage {key} is required", "VALIDATION_ERROR")
        metadata = {k: str(v) for k, v in (body.get("metadata") or {}).items()}
        if type_name == "deals":
            # Deal stages need a win probability, a string between 0.0 and 1.0.
            try:
                probability = float(metadata["probability"])
            except (KeyError, ValueError):
                raise HubSpotError(400, "Deal stages require metadata.probability between 0.0 and 1.0",
                                   "VALIDATION_ERROR") from None
            if not 0.0 <= probability <= 1.0:
                raise HubSpotError(400, "metadata.probability must be between 0.0 and 1.0", "VALIDATION_ERROR")
            metadata.setdefault("isClosed", "true" if probability in (0.0, 1.0) else "false")
        if type_name == "orders" and metadata.get("state") not in ORDER_STAGE_STATES:
            raise HubSpotError(400, "Order stages require metadata.state OPEN or CLOSED, got "
                                    f"{metadata.get('state')!r}", "VALIDATION_ERROR")
        stamp = self._stamp()
        return {"id": stage_id or str(next(self._ids)), "label": body["label"],
                "displayOrder": int(body["displayOrder"]), "metadata": metadata, "createdAt": stamp,
                "updatedAt": stamp, "archived": False, "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT"}

    def _build(self, type_name: str, body: dict, pipeline_id: str | None = None) -> dict:
        if not body.get("label") or body.get("displayOrder") is None or body.get("stages") is None:
            raise HubSpotError(400, "label, displayOrder and stages are required", "VALIDATION_ERROR")
        table = self._table(type_name)
        if any(p["label"] == body["label"] and not p["archived"] and p["id"] != pipeline_id
               for p in table.values()):
            raise HubSpotError(409, f"A pipeline with label {body['label']} already exists", "CONFLICT")
        stages = [self._stage(type_name, s, s.get("id")) for s in body["stages"]]
        self._check_stages(type_name, stages)
        stamp = self._stamp()
        pipeline = {"id": pipeline_id or str(next(self._ids)), "label": body["label"],
                    "displayOrder": int(body["displayOrder"]), "stages": stages, "createdAt": stamp,
                    "updatedAt": stamp, "archived": False}
        table[pipeline["id"]] = pipeline
        return pipeline

    @staticmethod
    def _check_stages(type_name: str, stages: list[dict]) -> None:
        live = [s for s in stages if not s["archived"]]
        limit = MAX_DEAL_STAGES if type_name == "deals" else MAX_ORDER_STAGES
        if len(live) > limit:
            raise HubSpotError(400, f"A {type_name[:-1]} pipeline can have at most {limit} stages, {len(live)} "
                                    "provided", "VALIDATION_ERROR")
        seen: set[str] = set()
        for stage in live:
            if stage["label"] in seen:
                raise HubSpotError(400, f"Stage label {stage['label']!r} is used twice in the pipeline: stage "
                                        "labels must be unique within a pipeline", "VALIDATION_ERROR")
            seen.add(stage["label"])

    def create(self, type_name: str, body: dict) -> dict:
        return self._build(type_name, body)

    def replace(self, type_name: str, pipeline_id: str, body: dict) -> dict:
        created = self.get(type_name, pipeline_id)["createdAt"]
        pipeline = self._build(type_name, body, pipeline_id)
        pipeline["createdAt"] = created
        return pipeline

    def list(self, type_name: str) -> list[dict]:
        return [p for p in self._table(type_name).values() if not p["archived"]]

    def get(self, type_name: str, pipeline_id: str) -> dict:
        pipeline = self._table(type_name).get(pipeline_id)
        if pipeline is None or pipeline["archived"]:
            raise not_found(f"Unable to find pipeline {pipeline_id}")
        return pipeline

    def update(self, type_name: str, pipeline_id: str, body: dict) -> dict:
        pipeline = self.get(type_name, pipeline_id)
        for key in ("label", "displayOrder"):
            if body.get(key) is not None:
                pipeline[key] = body[key]
        pipeline["updatedAt"] = self._stamp()
        return pipeline

    def archive(self, type_name: str, pipeline_id: str) -> None:
        self.get(type_name, pipeline_id)["archived"] = True

    def get_stage(self, type_name: str, pipeline_id: str, stage_id: str) -> dict:
        for stage in self.get(type_name, pipeline_id)["stages"]:
            if stage["id"] == stage_id and not stage["archived"]:
                return stage
        raise not_found(f"Unable to find stage {stage_id} in pipeline {pipeline_id}")

    def add_stage(self, type_name: str, pipeline_id: str, body: dict) -> dict:
        stage = self._stage(type_name, body)
        pipeline = self.get(type_name, pipeline_id)
        self._check_stages(type_name, pipeline["stages"] + [stage])
        pipeline["stages"].append(stage)
        return stage

    def update_stage(self, type_name: str, pipeline_id: str, stage_id: str, body: dict) -> dict:
        stage = self.get_stage(type_name, pipeline_id, stage_id)
        merged = {**stage, **{k: v for k, v in body.items() if v is not None}}
        checked = self._stage(type_name, merged, stage_id)
        others = [s for s in self.get(type_name, pipeline_id)["stages"] if s["id"] != stage_id]
        self._check_stages(type_name, others + [checked])
        for key in ("label", "displayOrder", "metadata"):
            stage[key] = checked[key]
        stage["updatedAt"] = self._stamp()
        return stage

    def archive_stage(self, type_name: str, pipeline_id: str, stage_id: str) -> None:
        self.get_stage(type_name, pipeline_id, stage_id)["archived"] = True

    def stage_ids(self, type_name: str, pipeline_id: str) -> list[str] | None:
        pipeline = self._table(type_name).get(pipeline_id)
        if pipeline is None or pipeline["archived"]:
            return None
        return [s["id"] for s in pipeline["stages"] if not s["archived"]]
