"""Pure operator rules: the settings form parser and the wording of connection checks."""
from __future__ import annotations

import pytest

from hubspot_app.moulin.errors import MoulinAuthError, MoulinError, MoulinNotFound, MoulinUnavailable
from hubspot_app.moulin.stores import StoreSettingsError
from hubspot_app.operator.stores import parse_store_settings, ping_store


def test_only_changes_from_the_defaults_are_kept():
    mapping, settings = parse_store_settings({
        "stage.paid": "checkout_completed", "stage.shipped": "shipped", "stage.partially_refunded": "",
        "stage_source": "hubspot", "recreate_deleted_deals": "on"})
    assert mapping == {"paid": "checkout_completed"}
    assert settings == {"recreate_deleted_deals": True, "stage_source": "hubspot", "abandon_after_hours": 24,
                        "product_deletion": "archive"}


def test_unchecked_box_and_missing_source_mean_the_safe_defaults():
    assert parse_store_settings({}) == ({}, {"recreate_deleted_deals": False, "stage_source": "moulin",
                                             "abandon_after_hours": 24, "product_deletion": "archive"})


def test_abandonment_threshold_and_product_deletion_are_the_stores():
    _, settings = parse_store_settings({"abandon_after_hours": "6", "product_deletion": "discontinue"})
    assert settings["abandon_after_hours"] == 6 and settings["product_deletion"] == "discontinue"


@pytest.mark.parametrize("form, needle", [
    ({"stage.paid": "nowhere"}, "unknown stage 'nowhere'"),
    ({"stage_source": "salesforce"}, "stage_source"),
    ({"abandon_after_hours": "0"}, "abandon_after_hours"),
    ({"abandon_after_hours": "two"}, "abandon_after_hours"),
    ({"product_deletion": "burn"}, "product_deletion"),
])
def test_bad_values_are_refused_by_name(form, needle):
    with pytest.raises(StoreSettingsError, match=needle):
        parse_store_settings(form)


class FakeMoulin:
    def __init__(self, answer=None, error=None):
        self.answer, self.error = answer, error

    def ping(self):
        if self.error:
            raise self.error
        return self.answer


@pytest.mark.parametrize("error, ok, needle", [
    (None, True, "Moulin answered and accepted the API key"),
    (MoulinAuthError("401", status=401), False, "refused the API key"),
    (MoulinNotFound("404", status=404), False, "not as a Moulin API"),
    (MoulinUnavailable("Moulin unreachable at http://x"), False, "could not be reached"),
    (MoulinError("HTTP 500", status=500), False, "answered with an error: HTTP 500"),
])
def test_connection_check_says_what_to_fix(error, ok, needle):
    check = ping_store(FakeMoulin({"store": "b2c", "name": "Boutique"}, error))
    assert check.ok is ok
    assert needle in check.message
