"""HubSpot's per-request batch limits: the one place they are written down.

Object batch endpoints (create, read, update, upsert, archive) take at most 100 inputs: HubSpot's contacts
API guide, "Limits": "Batch operations are limited to 100 records at a time" (the line as quoted from the
guide; /work/shared/HUBSPOT-FACTS.md "CRM APIs" says the same for every object type). The v4 association batch create takes at most
2,000 and batch read 1,000 (developers.hubspot.com/changelog/bug-fix-batch-read-limit-for-hubspot-associations-api;
/work/shared/HUBSPOT-FACTS.md "CRM APIs"). A larger batch is refused whole with a 400 VALIDATION_ERROR.
"""
from __future__ import annotations

from typing import Iterator, Sequence, TypeVar

OBJECT_BATCH = 100
ASSOCIATION_BATCH = 2000

T = TypeVar("T")


def batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
