"""Per-portal HubSpot setup: property group, custom properties, the e-commerce pipeline.

Idempotent and re-runnable: it only creates what is missing (a 409 from a run
interrupted halfway counts as done), and records `SETUP_VERSION` with the ids
HubSpot generated, so later syncs skip it until the schema version changes.
"""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import extensions
from ..db.models.sync import PortalSetup
from ..hubspot.errors import Conflict
from ..logs import log_event
from .mapping import COMPANY_IDENTITIES
from .schema import GROUP, OBJECT_TYPES, PIPELINE_LABEL, PROPERTIES, SETUP_VERSION
from .stages import STAGES

logger = logging.getLogger(__name__)


class SetupError(RuntimeError):
    """HubSpot's pipeline does not have the stages we need (e.g. a user deleted one)."""


def current_setup(session: Session, portal_id: int) -> PortalSetup | None:
    row = session.scalar(select(PortalSetup).where(PortalSetup.portal_id == portal_id))
    return row if row is not None and row.version >= SETUP_VERSION else None


def _ensure_pipeline(crm) -> tuple[str, dict[str, str]]:
    pipeline = next((p for p in crm.pipelines("deals") if p["label"] == PIPELINE_LABEL), None)
    if pipeline is None:
        pipeline = crm.create_pipeline("deals", PIPELINE_LABEL, [
            {"label": label, "probability": probability} for _, label, probability in STAGES])
    by_label = {s["label"]: s["id"] for s in pipeline["stages"]}
    missing = [label for _, label, _ in STAGES if label not in by_label]
    if missing:
        raise SetupError(f"pipeline {PIPELINE_LABEL!r} lacks stages: {', '.join(missing)}")
    return pipeline["id"], {key: by_label[label] for key, label, _ in STAGES}


def _ensure_properties(crm, object_type: str, attempts: int = 3) -> None:
    for _ in range(attempts):
        existing = crm.property_names(object_type)
        missing = [spec for spec in PROPERTIES[object_type] if spec["name"] not in existing]
        if not missing:
            return
        try:
            crm.create_properties(object_type, missing)
            return
        except Conflict:  # an earlier attempt (or a concurrent setup) created some: read again
            continue
    raise SetupError(f"could not create the {object_type} properties")


def ensure_setup(crm, portal_id: int, force: bool = False) -> PortalSetup:
    """The portal's setup row, made first if missing or older than `SETUP_VERSION`.

    In short sessions of its own, never in a caller's: HubSpot is called with no transaction open, so a
    first sync's setup calls hold no database lock (callers ask before they open their own session).
    """
    db = extensions.db()
    if not force:
        with db.session() as session:
            if (row := current_setup(session, portal_id)) is not None:
                return row
    for object_type in OBJECT_TYPES:
        if GROUP["name"] not in crm.group_names(object_type):
            crm.create_group(object_type, GROUP["name"], GROUP["label"])
        _ensure_properties(crm, object_type)
    pipeline_id, stage_ids = _ensure_pipeline(crm)
    with db.session() as session:
        row = session.scalar(select(PortalSetup).where(PortalSetup.portal_id == portal_id).with_for_update())
        if row is None:
            row = PortalSetup(portal_id=portal_id, version=SETUP_VERSION, pipeline_id=pipeline_id,
                              stage_ids=stage_ids)
            session.add(row)
        else:
            row.version, row.pipeline_id, row.stage_ids = SETUP_VERSION, pipeline_id, stage_ids
    log_event(logger, "sync.setup.done", portal_id=portal_id, version=SETUP_VERSION, pipeline_id=pipeline_id)
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
