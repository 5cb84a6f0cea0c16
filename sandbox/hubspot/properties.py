"""Property groups and property definitions of one portal, per object type."""
from __future__ import annotations

from .clock import iso_timestamp
from .errors import HubSpotError, not_found
from .schema import (FIELD_TYPES, LIFECYCLE_STAGES, OBJECT_TYPES, SYSTEM_PROPERTIES, UNIQUE_DEFAULTS,
                     default_property_specs)

MAX_UNIQUE_PER_TYPE = 10


def _option(value: str, label: str | None = None, order: int = 0) -> dict:
    return {"label": label or value, "value": value, "displayOrder": order, "hidden": False, "description": ""}


class PropertyRegistry:
    def __init__(self, now) -> None:
        self._now = now
        created = iso_timestamp(now())
        self.groups: dict[str, dict[str, dict]] = {}
        self.props: dict[str, dict[str, dict]] = {}
        # Every upsert input asks for these several times; definitions change rarely (create/archive clear it).
        self._unique: dict[str, list[str]] = {}
        for t in OBJECT_TYPES:
            self.groups[t.name] = {t.group: self._group_body(t.group, t.group.title(), 0)}
            self.props[t.name] = {}
            for order, (name, label, ptype, field) in enumerate(default_property_specs(t.name)):
                options = [_option(s, s.title(), i) for i, s in enumerate(LIFECYCLE_STAGES)] \
                    if name == "lifecyclestage" else []
                self.props[t.name][name] = self._property_body(
                    dict(name=name, label=label, type=ptype, fieldType=field, groupName=t.group,
                         displayOrder=order, options=options,
                         hasUniqueValue=(t.name, name) in UNIQUE_DEFAULTS),
                    created, hubspot_defined=True)

    # -- groups -------------------------------------------------------------------------------
    def _group_body(self, name: str, label: str, order: int) -> dict:
        return {"name": name, "label": label, "displayOrder": order, "archived": False}

    def list_groups(self, type_name: str) -> list[dict]:
        return [g for g in self.groups[type_name].values() if not g["archived"]]

    def get_group(self, type_name: str, name: str) -> dict:
        group = self.groups[type_name].get(name)
        if group is None or group["archived"]:
            raise not_found(f"Unable to find property group {name}")
        return group

    def create_group(self, type_name: str, body: dict) -> dict:
        name, label = body.get("name"), body.get("label")
        if not name or not label:
            raise HubSpotError(400, "Property group name and label are required", "VALIDATION_ERROR")
        existing = self.groups[type_name].get(name)
        if existing is not None and not existing["archived"]:
            raise HubSpotError(409, f"Property group named '{name}' already exists.", "OBJECT_ALREADY_EXISTS")
        group = self._group_body(name, label, int(body.get("displayOrder", -1)))
        self.groups[type_name][name] = group
        return group

    def update_group(self, type_name: str, name: str, body: dict) -> dict:
        group = self.get_group(type_name, name)
        for key in ("label", "displayOrder"):
            if key in body:
                group[key] = body[key]
        return group

    def archive_group(self, type_name: str, name: str) -> None:
        self.get_group(type_name, name)["archived"] = True

    # -- properties ---------------------------------------------------------------------------
    def _property_body(self, spec: dict, created: str, hubspot_defined: bool) -> dict:
        system = spec["name"] in SYSTEM_PROPERTIES
        return {
            "name": spec["name"], "label": spec["label"], "type": spec["type"], "fieldType": spec["fieldType"],
            "description": spec.get("description", ""), "groupName": spec["groupName"],
            "options": [_option(o["value"], o.get("label"), o.get("displayOrder", i)) | {
                "hidden": bool(o.get("hidden", False)), "description": o.get("description", "")}
                for i, o in enumerate(spec.get("options") or [])],
            "displayOrder": int(spec.get("displayOrder", -1)), "calculated": False, "externalOptions": False,
            "hasUniqueValue": bool(spec.get("hasUniqueValue", False)), "hidden": bool(spec.get("hidden", False)),
            "hubspotDefined": hubspot_defined, "formField": bool(spec.get("formField", False)),
            "modificationMetadata": {"archivable": not hubspot_defined, "readOnlyDefinition": hubspot_defined,
                                     "readOnlyValue": system},
            "createdAt": created, "updatedAt": created, "archived": False,
        }

    def list(self, type_name: str, archived: bool = False) -> list[dict]:
        return [p for p in self.props[type_name].values() if p["archived"] == archived]

    def find(self, type_name: str, name: str) -> dict | None:
        prop = self.props[type_name].get(name)
        return None if prop is None or prop["archived"] else prop

    def get(self, type_name: str, name: str) -> dict:
        prop = self.find(type_name, name)
        if prop is None:
            raise not_found(f"Unable to find property {name} on object type {type_name}")
        return prop

    def unique_names(self, type_name: str) -> list[str]:
        if type_name not in self._unique:
            self._unique[type_name] = [p["name"] for p in self.list(type_name) if p["hasUniqueValue"]]
        return list(self._unique[type_name])

    def create(self, type_name: str, body: dict) -> dict:
        return self.create_many(type_name, [body])[0]

    def create_many(self, type_name: str, bodies: list[dict]) -> list[dict]:
        """Check every definition first, so a refused batch creates nothing."""
        names: set[str] = set()
        unique = len(self.unique_names(type_name))
        for body in bodies:
            self._check_new(type_name, body, names, unique)
            names.add(body["name"])
            unique += bool(body.get("hasUniqueValue"))
        created = iso_timestamp(self._now())
        props = [self._property_body(body, created, hubspot_defined=False) for body in bodies]
        for prop in props:
            self.props[type_name][prop["name"]] = prop
        self._unique.pop(type_name, None)
        return props

    def _check_new(self, type_name: str, body: dict, batch_names: set[str], unique_count: int) -> None:
        missing = [k for k in ("name", "label", "type", "fieldType", "groupName") if not body.get(k)]
        if missing:
            raise HubSpotError(400, f"Missing required fields: {', '.join(missing)}", "VALIDATION_ERROR")
        name = body["name"]
        if self.props[type_name].get(name) is not None or name in batch_names:
            raise HubSpotError(409, f"Property named '{name}' already exists.", "OBJECT_ALREADY_EXISTS")
        self._check_definition(type_name, body)
        if body.get("hasUniqueValue") and unique_count >= MAX_UNIQUE_PER_TYPE:
            raise HubSpotError(400, f"Cannot create more than {MAX_UNIQUE_PER_TYPE} unique value properties "
                                    f"for object type {type_name}", "VALIDATION_ERROR")

    def update(self, type_name: str, name: str, body: dict) -> dict:
        prop = self.get(type_name, name)
        merged = {**prop, **{k: v for k, v in body.items() if v is not None}}
        self._check_definition(type_name, merged)
        for key in ("label", "type", "fieldType", "groupName", "description", "displayOrder", "hidden",
                    "formField"):
            if key in body and body[key] is not None:
                prop[key] = body[key]
        if body.get("options") is not None:
            prop["options"] = [_option(o["value"], o.get("label"), o.get("displayOrder", i))
                               for i, o in enumerate(body["options"])]
        prop["updatedAt"] = iso_timestamp(self._now())
        return prop

    def archive(self, type_name: str, name: str) -> None:
        prop = self.get(type_name, name)
        if prop["hubspotDefined"]:
            raise HubSpotError(400, f"Property {name} is a HubSpot defined property and cannot be archived",
                               "VALIDATION_ERROR")
        prop["archived"] = True
        prop["archivedAt"] = iso_timestamp(self._now())
        self._unique.pop(type_name, None)

    def _check_definition(self, type_name: str, body: dict) -> None:
        ptype, field = body["type"], body["fieldType"]
        if ptype not in FIELD_TYPES:
            raise HubSpotError(400, f"Invalid property type: {ptype}", "VALIDATION_ERROR")
        if field not in FIELD_TYPES[ptype]:
            raise HubSpotError(400, f"Property type {ptype} is not compatible with field type {field}",
                               "VALIDATION_ERROR")
        if ptype == "enumeration" and field != "booleancheckbox" and not body.get("options"):
            raise HubSpotError(400, "Enumeration properties require options", "VALIDATION_ERROR")
        if ptype == "bool" and not body.get("options"):
            body["options"] = [_option("true", "Yes", 0), _option("false", "No", 1)]
        if self.groups[type_name].get(body["groupName"]) is None:
            raise HubSpotError(400, f"Property group {body['groupName']} does not exist", "VALIDATION_ERROR")
