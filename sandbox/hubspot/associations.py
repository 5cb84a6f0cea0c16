"""Two-way association graph with HubSpot's HUBSPOT_DEFINED association type ids."""
from __future__ import annotations

from collections import defaultdict

from .errors import HubSpotError

# (from, to) -> {typeId: (label or None, inverse typeId)}; the first id of each pair is the unlabeled default.
# Ids and their inverses: "Association type ID values", developers.hubspot.com/docs/api-reference/legacy/crm/
# associations/associate-records/guide (orders and carts also in their own guides).
_PAIRS = (
    ("contacts", "companies", 279, 280, None), ("contacts", "companies", 1, 2, "Primary"),
    ("deals", "contacts", 3, 4, None),
    ("deals", "companies", 341, 342, None), ("deals", "companies", 5, 6, "Primary"),
    ("line_items", "deals", 20, 19, None),
    ("orders", "contacts", 507, 508, None), ("orders", "companies", 934, 935, None),
    ("orders", "companies", 509, 510, "Primary"), ("orders", "deals", 512, 511, None),
    ("orders", "line_items", 513, 514, None), ("orders", "carts", 593, 592, None),
    ("carts", "contacts", 586, 587, None), ("carts", "line_items", 590, 591, None),
    ("carts", "deals", 1347, 1346, None),
)
TYPES: dict[tuple[str, str], dict[int, tuple[str | None, int]]] = defaultdict(dict)
DEFAULT_TYPE: dict[tuple[str, str], int] = {}
for _a, _b, _ab, _ba, _label in _PAIRS:
    TYPES[(_a, _b)][_ab] = (_label, _ba)
    TYPES[(_b, _a)][_ba] = (_label, _ab)
    DEFAULT_TYPE.setdefault((_a, _b), _ab)
    DEFAULT_TYPE.setdefault((_b, _a), _ba)

# Labelled "Primary" types: an object has at most one primary association per target type.
PRIMARY_TYPES = {tid for pair in TYPES.values() for tid, (label, _) in pair.items() if label == "Primary"}
# A line item belongs to one parent at a time.
SINGLE_PARENT = {"line_items": ("deals", "orders", "carts")}

Spec = tuple[str, int]  # (category, typeId)


def check_spec(from_type: str, to_type: str, category: str, type_id: int) -> None:
    known = TYPES.get((from_type, to_type), {})
    if category != "HUBSPOT_DEFINED" or int(type_id) not in known:
        raise HubSpotError(400, f"{category} association type {type_id} is not valid between "
                                f"{from_type} and {to_type}", "VALIDATION_ERROR")


def default_type(from_type: str, to_type: str) -> int:
    if (from_type, to_type) not in DEFAULT_TYPE:
        raise HubSpotError(400, f"No default association type between {from_type} and {to_type}",
                           "VALIDATION_ERROR")
    return DEFAULT_TYPE[(from_type, to_type)]


def label_of(from_type: str, to_type: str, type_id: int) -> str | None:
    return TYPES[(from_type, to_type)][type_id][0]


class AssociationGraph:
    def __init__(self) -> None:
        self._edges: dict[tuple[str, str], dict[tuple[str, str], set[Spec]]] = defaultdict(
            lambda: defaultdict(set))

    def targets(self, from_type: str, from_id: str, to_type: str) -> dict[str, set[Spec]]:
        node = self._edges.get((from_type, from_id), {})
        return {tid: set(specs) for (tt, tid), specs in node.items() if tt == to_type and specs}

    def specs(self, from_type: str, from_id: str, to_type: str, to_id: str) -> set[Spec]:
        """The types linking one pair (a copy); `targets(...).get(to_id)` without copying every neighbour."""
        return set(self._edges.get((from_type, from_id), {}).get((to_type, to_id), ()))

    def add(self, from_type: str, from_id: str, to_type: str, to_id: str, type_id: int) -> bool:
        """Add one association (and its inverse, and the unlabeled default with a label); True if new."""
        check_spec(from_type, to_type, "HUBSPOT_DEFINED", type_id)
        wanted = {int(type_id), default_type(from_type, to_type)}
        if int(type_id) in PRIMARY_TYPES:
            # A new primary replaces the old one (the plain association to the old target stays).
            for other in self.targets(from_type, from_id, to_type):
                if other != to_id:
                    self.remove(from_type, from_id, to_type, other, {int(type_id)})
        existing = self._edges[(from_type, from_id)][(to_type, to_id)]
        added = False
        for tid in wanted:
            spec = ("HUBSPOT_DEFINED", tid)
            if spec not in existing:
                existing.add(spec)
                inverse = TYPES[(from_type, to_type)][tid][1]
                self._edges[(to_type, to_id)][(from_type, from_id)].add(("HUBSPOT_DEFINED", inverse))
                added = True
        return added

    def remove(self, from_type: str, from_id: str, to_type: str, to_id: str,
               type_ids: set[int] | None = None) -> bool:
        """Remove the given types (all when None) in both directions; True if anything went."""
        existing = self._edges.get((from_type, from_id), {}).get((to_type, to_id))
        if not existing:
            return False
        doomed = {s for s in existing if type_ids is None or s[1] in type_ids}
        for spec in doomed:
            existing.discard(spec)
            inverse = TYPES[(from_type, to_type)][spec[1]][1]
            self._edges[(to_type, to_id)][(from_type, from_id)].discard(("HUBSPOT_DEFINED", inverse))
        return bool(doomed)

    def neighbours(self, from_type: str, from_id: str) -> list[tuple[str, str, set[Spec]]]:
        node = self._edges.get((from_type, from_id), {})
        return [(tt, tid, set(specs)) for (tt, tid), specs in node.items() if specs]

    def drop_node(self, type_name: str, object_id: str) -> None:
        for to_type, to_id, _ in self.neighbours(type_name, object_id):
            self.remove(type_name, object_id, to_type, to_id)
        self._edges.pop((type_name, object_id), None)
