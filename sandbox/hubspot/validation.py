"""Checks on property values written through the API, with HubSpot's error bodies."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from . import moments
from .errors import HubSpotError, invalid_properties, property_problem
from .portal import Portal, Record
from .schema import SYSTEM_PROPERTIES, ObjectType


EMAIL = re.compile(r"^[^@\s;]+@[^@\s;]+\.[^@\s;]+$")
# A decimal numeral: Python's float() would also take "nan", "inf" and "1_000", which no CRM number holds.
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def normalise(portal: Portal, t: ObjectType, properties: dict | None,
              current: Record | None = None) -> dict[str, str]:
    """Values as HubSpot stores them (strings); unknown properties are a 400 PROPERTY_DOESNT_EXIST."""
    problems, values = [], {}
    for name, value in (properties or {}).items():
        prop = portal.properties.find(t.name, name)
        if prop is None:
            problems.append(property_problem(name, f'Property "{name}" does not exist', "PROPERTY_DOESNT_EXIST"))
            continue
        if name in SYSTEM_PROPERTIES:
            continue  # maintained by HubSpot; ignored on write
        text = "" if value is None else (str(value).lower() if isinstance(value, bool) else str(value))
        if name == "email":
            text = text.strip().lower()
        if prop["fieldType"] == "checkbox" and text.startswith(";"):
            text = _appended(current.properties.get(name) if current else None, text)
        problem = None
        if text and prop["type"] in ("date", "datetime"):
            text, message = moments.canonical(prop["type"], text)
            problem = property_problem(name, message, "INVALID_DATE") if message else None
        problem = problem or _check_value(prop, text)
        if problem:
            problems.append(problem)
        values[name] = text
    if problems:
        raise invalid_properties(problems)
    return values


def _appended(stored: str | None, text: str) -> str:
    """A multiple-checkbox value starting with `;` adds its options to the stored ones ("to append a value, start
    with a semicolon", properties guide: https://developers.hubspot.com/docs/api/crm/properties)."""
    options = [o for o in (stored or "").split(";") + text.split(";") if o]
    return ";".join(dict.fromkeys(options))


def _check_value(prop: dict, text: str) -> dict | None:
    if text == "":
        return None
    name = prop["name"]
    if name == "email" and not EMAIL.match(text):
        return property_problem(name, f"Email address {text} is invalid", "INVALID_EMAIL")
    if prop["type"] == "number" and not NUMBER.match(text):
        return property_problem(name, f"{text} was not a valid number.", "INVALID_NUMBER")
    if prop["type"] in ("enumeration", "bool") and prop["options"]:
        allowed = {o["value"] for o in prop["options"]}
        chosen = text.split(";") if prop["fieldType"] == "checkbox" else [text]
        bad = [c for c in chosen if c not in allowed]
        if bad:
            return property_problem(name, f"{bad[0]} was not one of the allowed options: "
                                          f"[{', '.join(sorted(allowed))}]", "INVALID_OPTION")
    return None


# (pipeline property, stage property, pipeline assumed when none is set). Orders name both (orders guide,
# "Order properties": hs_pipeline, hs_pipeline_stage); no order pipeline exists until one is created, so an order
# stage without a pipeline is refused (stricter choice).
PIPELINE_PROPERTIES = {"deals": ("pipeline", "dealstage", "default"), "orders": ("hs_pipeline", "hs_pipeline_stage", None)}


def check_rules(portal: Portal, t: ObjectType, values: dict[str, str], current: Record | None) -> None:
    """Object-specific rules: deal and order pipeline/stage, line item product and price."""
    if t.name in PIPELINE_PROPERTIES:
        _check_pipeline(portal, t, values, current)
    if t.name == "line_items":
        _check_line_item(portal, values, current)


def _check_pipeline(portal: Portal, t: ObjectType, values: dict[str, str], current: Record | None) -> None:
    pipeline_name, stage_name, fallback = PIPELINE_PROPERTIES[t.name]
    if pipeline_name not in values and stage_name not in values:
        return
    merged = {**(current.properties if current else {}), **values}
    pipeline = merged.get(pipeline_name) or fallback
    stages = portal.pipelines.stage_ids(t.name, pipeline) if pipeline else None
    if stages is None:
        message = f"{pipeline} was not one of the allowed options" if pipeline else \
            f"{pipeline_name} is required with {stage_name}"
        raise invalid_properties([property_problem(pipeline_name, message, "INVALID_OPTION")])
    stage = merged.get(stage_name)
    if stage and stage not in stages:
        raise invalid_properties([property_problem(
            stage_name, f"{stage} was not one of the allowed options for pipeline {pipeline}: "
                        f"[{', '.join(stages)}]", "INVALID_OPTION")])
    if not merged.get(pipeline_name):
        values[pipeline_name] = pipeline


def _check_line_item(portal: Portal, values: dict[str, str], current: Record | None) -> None:
    price = values.get("price")
    if price not in (None, "") and float(price) < 0:
        raise invalid_properties([property_problem("price", f"{price} is negative: a line item price cannot be "
                                                            "negative", "INVALID_NUMBER")])
    product_id = values.get("hs_product_id")
    if product_id:
        product = portal.records["products"].get(product_id)
        if product is None or product.archived:
            raise HubSpotError(400, f"Product with id {product_id} does not exist", "VALIDATION_ERROR")
        if current is None:
            # A new line item copies the product's details it was not given.
            for name in ("name", "price", "hs_sku", "description"):
                if not values.get(name) and product.properties.get(name):
                    values[name] = product.properties[name]
    _net_price(values, current)


def _net_price(values: dict[str, str], current: Record | None) -> None:
    """`amount` is calculated by HubSpot: (unit price - unit discount) x quantity (the legacy line item docs show
    it with source CALCULATED, https://developers.hubspot.com/docs/api-reference/legacy/crm-line-items-v1/
    post-crm-objects-v1-objects-line-items-batch-create)."""
    if not {"price", "quantity", "discount"} & values.keys():
        return
    merged = {**(current.properties if current else {}), **values}
    try:
        price = Decimal(merged.get("price") or "0")
        quantity = Decimal(merged.get("quantity") or "1")
        discount = Decimal(merged.get("discount") or "0")
    except InvalidOperation:
        return  # the number checks already named the bad value
    values["amount"] = format((price - discount) * quantity, "f")
