"""CRM records of one portal: create, read, update, archive, upsert, merge, with HubSpot's rules and events."""
from __future__ import annotations

from dataclasses import dataclass, field

from . import validation
from .associations import PRIMARY_TYPES, SINGLE_PARENT, TYPES, check_spec
from .errors import HubSpotError, invalid_properties, not_found, property_problem
from .portal import Portal, Record
from .schema import ObjectType, object_type


# Lifecycle events carry a changeFlag in HubSpot's payloads; property changes do not.
CHANGE_FLAGS = {"creation": "CREATED", "deletion": "DELETED", "privacyDeletion": "DELETED", "merge": "MERGED",
                "restore": "RESTORED"}


@dataclass
class Plan:
    """A checked write, applied only once every input of a batch has been checked."""
    t: ObjectType
    values: dict[str, str]
    record: Record | None = None          # None: create
    associations: list[tuple[str, str, int]] = field(default_factory=list)
    input: dict = field(default_factory=dict)


class CrmService:
    def __init__(self, portal: Portal, clock, events, change_source: str = "INTEGRATION",
                 source_id: str | None = None) -> None:
        self.portal = portal
        self.clock = clock
        self.events = events
        self.change_source = change_source
        self.source_id = source_id

    # -- events ------------------------------------------------------------------------------
    def emit(self, t: ObjectType, kind: str, object_id: str, **extra) -> None:
        if not self.events.has_subscribers:
            return
        event = {"portalId": self.portal.id, "occurredAt": self.clock.now_ms(),
                 "subscriptionType": f"{t.singular}.{kind}", "objectTypeId": t.type_id, "objectId": int(object_id),
                 **extra}
        if kind in CHANGE_FLAGS:
            event["changeFlag"] = CHANGE_FLAGS[kind]
        event["changeSource"] = self.change_source
        if self.source_id is not None:
            event["sourceId"] = self.source_id
        self.events.emit(event)

    # -- reads -------------------------------------------------------------------------------
    def table(self, t: ObjectType) -> dict[str, Record]:
        return self.portal.records[t.name]

    def find(self, t: ObjectType, object_id: str, id_property: str | None = None,
             archived: bool = False) -> Record | None:
        if id_property and id_property != "hs_object_id":
            record = self.find_by_value(t, id_property, str(object_id))
        else:
            record = self.table(t).get(self.portal.resolve_id(t.name, str(object_id)))
        if record is None or record.archived != archived:
            return None
        return record

    def get(self, t: ObjectType, object_id: str, id_property: str | None = None,
            archived: bool = False) -> Record:
        record = self.find(t, object_id, id_property, archived)
        if record is None:
            raise not_found()
        return record

    def unique_properties(self, t: ObjectType) -> list[str]:
        names = self.portal.properties.unique_names(t.name)
        return (["email"] + names) if t.name == "contacts" else names

    def find_by_value(self, t: ObjectType, name: str, value: str) -> Record | None:
        if name not in self.unique_properties(t):
            raise HubSpotError(400, f"Property {name} is not a unique identifier for {t.name}; idProperty "
                                    "must be a property with unique values", "VALIDATION_ERROR")
        value = value.strip().lower() if name == "email" else value
        record_id = self.portal.unique_index.lookup(t.name, name, value, self.table(t))
        return self.table(t).get(record_id) if record_id is not None else None

    def page(self, t: ObjectType, limit: int, after: str | None, archived: bool = False):
        records = sorted((r for r in self.table(t).values() if r.archived == archived), key=lambda r: int(r.id))
        if after:
            records = [r for r in records if int(r.id) >= int(after)]
        chunk = records[:limit]
        next_after = str(int(chunk[-1].id) + 1) if len(records) > limit else None
        return chunk, next_after

    # -- checked writes ----------------------------------------------------------------------
    def _check_unique(self, t: ObjectType, values: dict[str, str], exclude: str | None, pending: dict) -> None:
        for name in self.unique_properties(t):
            value = values.get(name)
            if not value:
                continue
            owner = self.find_by_value(t, name, value)
            clash = owner.id if owner is not None and owner.id != exclude else None
            if clash is None and pending.get((name, value), exclude) != exclude:
                clash = pending[(name, value)]
            if clash is not None:
                if name == "email":
                    raise HubSpotError(409, f"Contact already exists. Existing ID: {clash}", "CONFLICT")
                raise invalid_properties([property_problem(
                    name, f"{value} already has that value.", "INVALID_OPTION")])
        for name in self.unique_properties(t):
            if values.get(name):
                pending[(name, values[name])] = exclude or "(same batch)"

    def plan_create(self, t: ObjectType, body: dict, pending: dict | None = None) -> Plan:
        values = validation.normalise(self.portal, t, body.get("properties"))
        validation.check_rules(self.portal, t, values, None)
        self._check_unique(t, values, None, {} if pending is None else pending)
        links = []
        for assoc in body.get("associations") or []:
            to_id = str((assoc.get("to") or {}).get("id", ""))
            for spec in assoc.get("types") or []:
                to_t = self._association_target(t, int(spec.get("associationTypeId", 0)),
                                                spec.get("associationCategory", ""), to_id)
                links.append((to_t, to_id, int(spec["associationTypeId"])))
        return Plan(t, values, None, links, body)

    def _association_target(self, t: ObjectType, type_id: int, category: str, to_id: str) -> str:
        for (from_name, to_name), known in TYPES.items():
            if from_name == t.name and type_id in known:
                check_spec(t.name, to_name, category, type_id)
                if self.find(object_type(to_name), to_id) is None:
                    raise HubSpotError(400, f"No {to_name} with id {to_id} exists to associate with",
                                       "VALIDATION_ERROR")
                return to_name
        raise HubSpotError(400, f"{category} association type {type_id} is not valid for {t.name}",
                           "VALIDATION_ERROR")

    def plan_update(self, t: ObjectType, object_id: str, body: dict, id_property: str | None = None,
                    pending: dict | None = None) -> Plan:
        record = self.get(t, object_id, id_property)
        values = validation.normalise(self.portal, t, body.get("properties"), record)
        validation.check_rules(self.portal, t, values, record)
        self._check_unique(t, values, record.id, {} if pending is None else pending)
        return Plan(t, values, record, [], body)

    def plan_upsert(self, t: ObjectType, body: dict, pending: dict) -> Plan:
        id_property, value = body.get("idProperty"), str(body.get("id", ""))
        if not id_property:
            raise HubSpotError(400, "idProperty is required for upsert", "VALIDATION_ERROR")
        existing = self.find_by_value(t, id_property, value)
        properties = dict(body.get("properties") or {})
        if existing is not None:
            plan = self.plan_update(t, existing.id, {"properties": properties}, pending=pending)
        else:
            properties.setdefault(id_property, value)
            plan = self.plan_create(t, {"properties": properties}, pending)
        plan.input = body
        return plan

    def apply(self, plan: Plan) -> Record:
        now = self.clock.now()
        t, record = plan.t, plan.record
        if record is None:
            record = Record(self.portal.next_id(), {}, now, now)
            record.properties.update({"hs_object_id": record.id, t.created_property: self.clock.iso(now)})
            self.table(t)[record.id] = record
            self.emit(t, "creation", record.id)
        changed = {k: v for k, v in plan.values.items() if record.properties.get(k, "") != v}
        self.portal.unique_index.remove(t.name, record)
        record.properties.update(plan.values)
        self.portal.unique_index.add(t.name, record)
        record.updated_at = now
        record.properties[t.modified_property] = self.clock.iso(now)
        record.properties["hs_lastmodifieddate"] = self.clock.iso(now)
        for name, value in changed.items():
            self.emit(t, "propertyChange", record.id, propertyName=name, propertyValue=value)
        for to_name, to_id, type_id in plan.associations:
            self.associate(t, record.id, object_type(to_name), to_id, type_id)
        return record

    def create(self, t: ObjectType, body: dict) -> Record:
        return self.apply(self.plan_create(t, body))

    def update(self, t: ObjectType, object_id: str, body: dict, id_property: str | None = None) -> Record:
        return self.apply(self.plan_update(t, object_id, body, id_property))

    # -- lifecycle ---------------------------------------------------------------------------
    def archive(self, t: ObjectType, object_id: str) -> bool:
        record = self.find(t, object_id)
        if record is None:
            return False  # HubSpot answers 204 for ids it does not have
        self.portal.unique_index.remove(t.name, record)
        record.archived, record.archived_at = True, self.clock.now()
        self.emit(t, "deletion", record.id)
        return True

    def restore(self, t: ObjectType, object_id: str) -> Record:
        record = self.get(t, object_id, archived=True)
        self._check_unique(t, record.properties, record.id, {})
        record.archived, record.archived_at = False, None
        self.portal.unique_index.add(t.name, record)
        record.updated_at = self.clock.now()
        self.emit(t, "restore", record.id)
        return record

    def privacy_delete(self, t: ObjectType, object_id: str) -> None:
        record = self.find(t, object_id) or self.get(t, object_id, archived=True)
        del self.table(t)[record.id]
        self.portal.unique_index.remove(t.name, record)
        self.portal.associations.drop_node(t.name, record.id)
        self.emit(t, "privacyDeletion", record.id)

    def merge(self, t: ObjectType, primary_id: str, merged_id: str) -> Record:
        if t.commerce:
            raise HubSpotError(400, f"Merging {t.name} is not supported", "VALIDATION_ERROR")
        primary, merged = self.get(t, primary_id), self.get(t, merged_id)
        if primary.id == merged.id:
            raise HubSpotError(400, "Cannot merge an object with itself", "VALIDATION_ERROR")
        moved = {k: v for k, v in merged.properties.items()
                 if v and not primary.properties.get(k) and k not in ("hs_object_id", t.created_property)}
        now = self.clock.now()
        # Contact merges produce a new record id; other objects keep the primary's id.
        survivor_id = self.portal.next_id() if t.name == "contacts" else primary.id
        survivor = Record(survivor_id, {**merged.properties, **primary.properties}, min(primary.created_at,
                          merged.created_at), now)
        if t.name == "contacts":
            survivor.properties["hs_additional_emails"] = self._additional_emails(survivor, primary, merged)
        survivor.properties.update({"hs_object_id": survivor_id, "hs_lastmodifieddate": self.clock.iso(now),
                                    t.modified_property: self.clock.iso(now),
                                    "hs_merged_object_ids": ";".join(sorted({primary.id, merged.id} - {survivor_id}))})
        table = self.table(t)
        for old in (primary, merged):
            self.portal.unique_index.remove(t.name, old)
            del table[old.id]
            if old.id != survivor_id:
                self.portal.merged_into[t.name][old.id] = survivor_id
            for to_type, to_id, specs in self.portal.associations.neighbours(t.name, old.id):
                for _, type_id in specs:
                    self.portal.associations.add(t.name, survivor_id, to_type, to_id, type_id)
            if old.id != survivor_id:
                self.portal.associations.drop_node(t.name, old.id)
        table[survivor_id] = survivor
        self.portal.unique_index.add(t.name, survivor)
        self.emit(t, "merge", survivor_id, primaryObjectId=int(primary.id), mergedObjectIds=[int(merged.id)],
                  newObjectId=int(survivor_id), numberOfPropertiesMoved=len(moved))
        return survivor

    @staticmethod
    def _additional_emails(survivor: Record, *merged: Record) -> str:
        """Every email of the merged contacts but the survivor's own stays findable as an additional email."""
        emails = []
        for record in merged:
            emails += [record.properties.get("email") or ""]
            emails += (record.properties.get("hs_additional_emails") or "").split(";")
        own = survivor.properties.get("email")
        return ";".join(dict.fromkeys(e for e in emails if e and e != own))

    # -- associations ------------------------------------------------------------------------
    def associate(self, t: ObjectType, from_id: str, to_t: ObjectType, to_id: str, type_id: int) -> bool:
        source, target = self.get(t, from_id), self.get(to_t, to_id)
        self._check_single_parent(t, source.id, to_t, target.id)
        self._check_single_parent(to_t, target.id, t, source.id)
        added = self.portal.associations.add(t.name, source.id, to_t.name, target.id, type_id)
        if added:
            self._emit_association(t, source.id, to_t, target.id, removed=False)
        return added

    def unassociate(self, t: ObjectType, from_id: str, to_t: ObjectType, to_id: str,
                    type_ids: set[int] | None = None) -> bool:
        from_id = self.portal.resolve_id(t.name, str(from_id))
        to_id = self.portal.resolve_id(to_t.name, str(to_id))
        removed = self.portal.associations.remove(t.name, from_id, to_t.name, to_id, type_ids)
        if removed:
            self._emit_association(t, from_id, to_t, to_id, removed=True)
        return removed

    def _check_single_parent(self, t: ObjectType, object_id: str, parent_t: ObjectType, parent_id: str) -> None:
        if parent_t.name not in SINGLE_PARENT.get(t.name, ()):
            return
        for name in SINGLE_PARENT[t.name]:
            for other in self.portal.associations.targets(t.name, object_id, name):
                if (name, other) != (parent_t.name, parent_id):
                    raise HubSpotError(400, f"{t.label} {object_id} is already associated with "
                                            f"{object_type(name).label} {other}; a line item can have only "
                                            "one parent", "VALIDATION_ERROR")

    def _emit_association(self, t: ObjectType, from_id: str, to_t: ObjectType, to_id: str, removed: bool) -> None:
        if not self.events.has_subscribers:
            return
        for (a, a_id, b, b_id) in ((t, from_id, to_t, to_id), (to_t, to_id, t, from_id)):
            specs = self.portal.associations.specs(a.name, a_id, b.name, b_id)
            self.emit(a, "associationChange", a_id, associationType=f"{a.label}_TO_{b.label}",
                      fromObjectId=int(a_id), toObjectId=int(b_id), associationRemoved=removed,
                      isPrimaryAssociation=any(s[1] in PRIMARY_TYPES for s in specs))
