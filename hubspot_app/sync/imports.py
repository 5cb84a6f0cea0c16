"""History import: orders read from an export file, synced a chunk at a time like the backfill.

The export carries orders only; their customers, companies and products come
from the store's live Moulin API, as in every other sync. Re-running an import
is safe: every write is an upsert keyed by the order, and unchanged orders are
skipped by their content hash.
"""
from __future__ import annotations

from .. import extensions
from hubspot_app.domain.records import Order
from ..moulin.stores import find_store
from hubspot_app import bootstrap
from .overlap import add_to_report, sync_chunk
from .orders import StoreInfo
from .sources import Catalogue

IMPORT_CHUNK = 500


class OrderImport:
    """Callable sink for `moulin.importer.import_orders`: buffers valid orders, syncs full chunks."""

    def __init__(self, portal_id: int, store_code: str, chunk: int = IMPORT_CHUNK):
        with extensions.db().session() as session:
            store = find_store(session, portal_id, store_code)
        if store is None:
            raise ValueError(f"portal {portal_id} has no Moulin store {store_code!r}")
        self.portal_id = portal_id
        self.chunk = chunk
        self.info = StoreInfo.of(store)
        self.crm = bootstrap.crm_for(portal_id)
        self.source = bootstrap.source_for(store)
        self.catalogue = Catalogue.load(self.source, with_customers=False)
        self.pending: list[Order] = []
        self.report = {"portal_id": portal_id, "store": store_code, "orders": 0, "errors": 0, "chunks": 0}

    def __call__(self, order: Order) -> None:
        self.pending.append(order)
        if len(self.pending) >= self.chunk:
            self.flush()

    def flush(self) -> dict:
        if self.pending:
            with extensions.db().session() as session:
                result = sync_chunk(session, self.crm, self.portal_id, self.info, self.source, self.catalogue,
                                    self.pending, [])
            add_to_report(self.report, result)
            self.pending = []
        return {**self.report, "hubspot_calls": self.crm.calls}
