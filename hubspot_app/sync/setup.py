"""Per-portal HubSpot setup: property group, custom properties, the e-commerce pipeline; and, in a portal that
granted the optional order scopes, the same for HubSpot's native orders (their properties and order pipeline).

Idempotent and re-runnable: it only creates what is missing (a 409 from a run
interrupted halfway counts as done), and records `SETUP_VERSION` with the ids
HubSpot generated, so later syncs skip it until the schema version changes.
"""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import extensions
from ..config import CART_SCOPES, ORDER_SCOPES
from ..db.repository import granted_scopes
from ..db.models.sync import PortalSetup
from ..hubspot.errors import Conflict
from ..logs import log_event
from hubspot_app.domain.mapping import COMPANY_IDENTITIES
from hubspot_app.domain.planner import HUBSPOT_TYPE, ORDER_TYPE_ID
from hubspot_app.domain.schema import CART_OBJECT_TYPES, GROUP, OBJECT_TYPES, ORDER_OBJECT_TYPES, PIPELINE_LABEL, PROPERTIES, SETUP_VERSION
from hubspot_app.domain.stages import STAGES, order_stage_state

logger = logging.getLogger(__name__)


class SetupError(RuntimeError):
    """HubSpot's pipeline does not have the stages we need (e.g. a user deleted one)."""


def _granted(session: Session, portal_id: int, wanted: tuple[str, ...]) -> bool:
    """Whether the portal granted these optional scopes (at install, or a later re-install)."""
    return set(wanted) <= granted_scopes(session, portal_id)


def orders_granted(session: Session, portal_id: int) -> bool:
    return _granted(session, portal_id, ORDER_SCOPES)


def carts_granted(session: Session, portal_id: int) -> bool:
    return _granted(session, portal_id, CART_SCOPES)


def current_setup(session: Session, portal_id: int) -> PortalSetup | None:
    """The portal's setup if nothing is missing: the current version, and the order and cart parts once the scopes
    allow them."""
    row = session.scalar(select(PortalSetup).where(PortalSetup.portal_id == portal_id))
    if row is None or row.version < SETUP_VERSION:
        return None
    if not row.order_pipeline_id and orders_granted(session, portal_id):
        return None
    return row if row.carts_ready or not carts_granted(session, portal_id) else None


def _ensure_pipeline(crm, object_type: str, metadata) -> tuple[str, dict[str, str]]:
    """The "Moulin e-commerce" pipeline of `object_type` (made if missing); metadata(key, probability) per stage."""
    pipeline = next((p for p in crm.schema.pipelines(object_type) if p["label"] == PIPELINE_LABEL), None)
    if pipeline is None:
        pipeline = crm.schema.create_pipeline(object_type, PIPELINE_LABEL, [
            {"label": label, "metadata": metadata(key, probability)} for key, label, probability in STAGES])
    by_label = {s["label"]: s["id"] for s in pipeline["stages"]}
    missing = [label for _, label, _ in STAGES if label not in by_label]
    if missing:
        raise SetupError(f"pipeline {PIPELINE_LABEL!r} lacks stages: {', '.join(missing)}")
    return pipeline["id"], {key: by_label[label] for key, label, _ in STAGES}


def _ensure_schema(crm, object_types: tuple[str, ...]) -> None:
    for object_type in object_types:
        hubspot_type = HUBSPOT_TYPE.get(object_type, object_type)  # orders and carts by their type ids
        if GROUP["name"] not in crm.schema.group_names(hubspot_type):
            crm.schema.create_group(hubspot_type, GROUP["name"], GROUP["label"])
        _ensure_properties(crm, object_type)


def _ensure_properties(crm, object_type: str, attempts: int = 3) -> None:
    hubspot_type = HUBSPOT_TYPE.get(object_type, object_type)
    for _ in range(attempts):
        existing = crm.schema.property_names(hubspot_type)
        missing = [spec for spec in PROPERTIES[object_type] if spec["name"] not in existing]
        if not missing:
            return
        try:
            crm.schema.create_properties(hubspot_type, missing)
            return
        except Conflict:  # an earlier attempt (or a concurrent setup) created some: read again
            continue
    raise SetupError(f"could not create the {object_type} properties")


def ensure_setup(crm, portal_id: int, force: bool = False) -> PortalSetup:
    """The portal's setup row, made first if missing or older than `SETUP_VERSION` (or missing the order and
    cart parts its scopes now allow).

    In short sessions of its own, never in a caller's: HubSpot is called with no transaction open, so a
    first sync's setup calls hold no database lock (callers ask before they open their own session).
    """
    db = extensions.db()
    with db.session() as session:
        if not force and (row := current_setup(session, portal_id)) is not None:
            return row
        orders_ready, carts_ready = orders_granted(session, portal_id), carts_granted(session, portal_id)
    _ensure_schema(crm, OBJECT_TYPES)
    pipeline_id, stage_ids = _ensure_pipeline(crm, "deals", lambda _key, probability: {"probability": probability})
    order_pipeline_id, order_stage_ids = None, None
    if orders_ready:
        _ensure_schema(crm, ORDER_OBJECT_TYPES)
        order_pipeline_id, order_stage_ids = _ensure_pipeline(
            crm, ORDER_TYPE_ID, lambda key, _probability: {"state": order_stage_state(key)})
    if carts_ready:  # carts have no pipeline (their state is a property): properties only
        _ensure_schema(crm, CART_OBJECT_TYPES)
    with db.session() as session:
        row = session.scalar(select(PortalSetup).where(PortalSetup.portal_id == portal_id).with_for_update())
        if row is None:
            row = PortalSetup(portal_id=portal_id, version=SETUP_VERSION, pipeline_id=pipeline_id,
                              stage_ids=stage_ids)
            session.add(row)
        else:
            row.version, row.pipeline_id, row.stage_ids = SETUP_VERSION, pipeline_id, stage_ids
        row.order_pipeline_id, row.order_stage_ids = order_pipeline_id, order_stage_ids
        row.carts_ready = carts_ready
    log_event(logger, "sync.setup.done", portal_id=portal_id, version=SETUP_VERSION, pipeline_id=pipeline_id,
              order_pipeline_id=order_pipeline_id, carts=carts_ready)
    return row


def set_company_identity(session: Session, portal_id: int, identity: str) -> PortalSetup:
    """What makes two Moulin accounts one HubSpot company in this portal, from the next sync on.

    Companies already written under another identity stay as they are (their keys differ): the next
    sync of each account writes the company under the new key.
    """
    if identity not in COMPANY_IDENTITIES:
        raise ValueError(f"company identity must be one of {', '.join(COMPANY_IDENTITIES)}, not {identity!r}")
    row = session.scalar(select(PortalSetup).where(PortalSetup.portal_id == portal_id).with_for_update())
    if row is None:
        raise ValueError(f"portal {portal_id} is not set up yet: run `sync setup --portal {portal_id}` first")
    row.company_identity = identity
    log_event(logger, "sync.setup.company_identity", portal_id=portal_id, identity=identity)
    return row
