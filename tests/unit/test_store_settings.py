"""A store's settings are one typed object: defaults and rules in one place, built from the stored row."""
from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import timedelta

import pytest

from hubspot_app.domain.store_settings import InvalidStoreSettings, StoreSettings


def test_a_row_missing_settings_reads_as_the_defaults():
    settings = StoreSettings.of({"stage_source": "hubspot", "a_key_of_no_setting": 1})
    assert settings.hubspot_owns_stages and not settings.recreate_deleted_deals and not settings.paused
    assert settings.abandon_after == timedelta(hours=24) and settings.product_deletion == "archive"
    assert StoreSettings.of(None) == StoreSettings()
    assert StoreSettings.of(settings.to_row()) == settings


@pytest.mark.parametrize("row, named", [
    ({"stage_source": "HubSpot"}, "stage_source"),
    ({"abandon_after_hours": 0}, "abandon_after_hours"),
    ({"abandon_after_hours": "6"}, "abandon_after_hours"),
    ({"product_deletion": "burn"}, "product_deletion"),
])
def test_a_bad_stored_value_is_refused_by_name(row, named):
    with pytest.raises(InvalidStoreSettings, match=named):
        StoreSettings.of(row)


def test_settings_cannot_be_changed_in_place():
    with pytest.raises(FrozenInstanceError):
        StoreSettings().paused = True


@pytest.mark.parametrize("target, granted, off", [
    ("deals", True, ("orders",)), ("deals", False, ("orders",)), ("both", True, ()), ("both", False, ()),
    ("orders", True, ("deals",)),
    ("orders", False, ()),  # without the order scopes the store still writes deals: nothing of it is off
])
def test_the_targets_a_store_no_longer_writes_are_what_its_operator_may_archive(target, granted, off):
    assert StoreSettings(target=target).targets_off(granted) == off
