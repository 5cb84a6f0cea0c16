"""One HubSpot account (portal): its records, schema, pipelines and associations."""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count

from .associations import AssociationGraph
from .clock import iso_timestamp
from .pipelines import PipelineRegistry
from .properties import PropertyRegistry
from .schema import OBJECT_TYPES
from .uniqueindex import UniqueIndex


@dataclass
class Record:
    id: str
    properties: dict[str, str]
    created_at: float
    updated_at: float
    archived: bool = False
    archived_at: float | None = None

    def to_api(self, names: list[str] | None = None) -> dict:
        """HubSpot's SimplePublicObject: `names` are the properties asked for (None: all set values)."""
        if names is None:
            props = {k: v for k, v in self.properties.items() if v not in (None, "")}
        else:
            props = {n: (self.properties.get(n) or None) for n in names}
        body = {"id": self.id, "properties": props, "createdAt": iso_timestamp(self.created_at),
                "updatedAt": iso_timestamp(self.updated_at), "archived": self.archived}
        if self.archived and self.archived_at is not None:
            body["archivedAt"] = iso_timestamp(self.archived_at)
        return body


@dataclass
class Portal:
    id: int
    hub_domain: str
    now: object
    deleted: bool = False
    records: dict[str, dict[str, Record]] = field(default_factory=dict)
    merged_into: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Record ids, pipeline ids and stage ids come from one counter, like HubSpot's numeric ids.
        self.ids = count(self.id % 1000 * 100000 + 101)
        for t in OBJECT_TYPES:
            self.records.setdefault(t.name, {})
            self.merged_into.setdefault(t.name, {})
        self.properties = PropertyRegistry(self.now)
        self.pipelines = PipelineRegistry(self.now, self.ids)
        self.associations = AssociationGraph()
        self.unique_index = UniqueIndex()

    def next_id(self) -> str:
        return str(next(self.ids))

    def resolve_id(self, type_name: str, object_id: str) -> str:
        """Follow merges: an id merged away reads as the record it became."""
        seen = set()
        merged = self.merged_into[type_name]
        while object_id in merged and object_id not in seen:
            seen.add(object_id)
            object_id = merged[object_id]
        return object_id
