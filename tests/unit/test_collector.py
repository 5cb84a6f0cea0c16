"""Every `moulin-hubspot` process collects its youngest generation less often once it has its app
(`hubspot_app.collector`): a sync's short-lived objects are freed by reference counting, not by the collector."""
import gc

import pytest
from cryptography.fernet import Fernet

from hubspot_app import collector
from hubspot_app.cli import load_app


@pytest.fixture
def thresholds():
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # CPython's defaults
    yield
    gc.set_threshold(*saved)


def test_a_cli_process_tunes_the_collector_once_its_app_is_built(thresholds, monkeypatch, tmp_path):
    for name, value in {"SECRET_KEY": "k", "HUBSPOT_CLIENT_ID": "c", "HUBSPOT_CLIENT_SECRET": "s",
                        "APP_BASE_URL": "https://app.test", "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
                        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}",
                        "QUEUE_PATH": str(tmp_path / "queue.sqlite3"), "QUEUE_IMMEDIATE": "1"}.items():
        monkeypatch.setenv(name, value)
    app = load_app()
    assert app.extensions["moulin.config"].app_base_url == "https://app.test"
    assert gc.get_threshold() == (collector.YOUNG_THRESHOLD, 10, 10)  # the older generations keep their ratios


def test_a_process_whose_settings_are_wrong_stops_before_touching_the_collector(thresholds, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(Exception, match="configuration: SECRET_KEY is required"):
        load_app()
    assert gc.get_threshold() == (700, 10, 10)
