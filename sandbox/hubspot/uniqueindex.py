"""Value -> record id maps for unique properties, so upserts and conflict checks do not scan every record."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .portal import Record


def _values(record: Record, name: str) -> list[str]:
    values = [record.properties.get(name) or ""]
    if name == "email":
        # A merged contact keeps the other contact's email as an additional email.
        values += (record.properties.get("hs_additional_emails") or "").split(";")
    return [v for v in values if v]


class UniqueIndex:
    def __init__(self) -> None:
        self._maps: dict[tuple[str, str], dict[str, str]] = {}

    def lookup(self, type_name: str, name: str, value: str, records: dict[str, Record]) -> str | None:
        key = (type_name, name)
        if key not in self._maps:
            # Built on first use (e.g. a property made unique after records exist), then kept up to date.
            self._maps[key] = {v: r.id for r in records.values() if not r.archived for v in _values(r, name)}
        return self._maps[key].get(value)

    def remove(self, type_name: str, record: Record) -> None:
        for (indexed_type, name), values in self._maps.items():
            if indexed_type == type_name:
                for value in _values(record, name):
                    if values.get(value) == record.id:
                        del values[value]

    def add(self, type_name: str, record: Record) -> None:
        if record.archived:
            return
        for (indexed_type, name), values in self._maps.items():
            if indexed_type == type_name:
                for value in _values(record, name):
                    values[value] = record.id
