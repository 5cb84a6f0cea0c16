"""Customer accounts as a shop's back office changes them: delete one, change its email, merge two.

Each is what a person does in Moulin's admin, so every identity case of the sync
can be driven from outside the code (the `/_admin/customers/...` endpoints).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .store import SampleStore


class AccountError(ValueError):
    """The change cannot apply (e.g. merging an account into itself); the admin endpoint answers 400."""


def delete_customer(store: "SampleStore", customer_id: str) -> bool:
    """The account goes (customer.deleted, listed in /deletions); its orders stay, still naming it."""
    return store.delete("customers", customer_id)


def change_email(store: "SampleStore", customer_id: str, email) -> dict | None:
    if not isinstance(email, str) or "@" not in email:
        raise AccountError("email must be an email address")
    return store.update_customer(customer_id, {"email": email})


def merge_customers(store: "SampleStore", into_id: str, from_id: str) -> dict | None:
    """Moulin's "merge accounts": `from`'s orders move to `into` (order.updated each), then `from` is deleted."""
    if into_id == from_id:
        raise AccountError("cannot merge an account into itself")
    survivor, merged = store.get("customers", into_id), store.get("customers", from_id)
    if survivor is None or merged is None:
        return None
    for order in store.orders_of(from_id):
        store.save("orders", {**order, "customer_id": into_id})
    store.delete("customers", from_id)
    return survivor
