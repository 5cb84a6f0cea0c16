import pytest

from hubspot_app import create_app
from hubspot_app.config import ConfigError


@pytest.mark.db
def test_healthz_touches_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_factory_refuses_to_start_without_required_settings():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"HUBSPOT_CLIENT_ID": "x"})
