import pytest

from hubspot_app.config import Config, ConfigError

# A fixed key: parametrised test ids must be the same in every xdist worker.
KEY = "pNwH0ZgXkXfVjJ4Q3y0ub0SgS1z4xV8FjM2QdN8wY6U="
GOOD = {
    "SECRET_KEY": "s",
    "HUBSPOT_CLIENT_ID": "cid",
    "HUBSPOT_CLIENT_SECRET": "csecret",
    "APP_BASE_URL": "https://moulin.example.com/",
    "TOKEN_ENCRYPTION_KEYS": KEY,
}


def test_reads_every_setting_once():
    config = Config.from_env({**GOOD, "HUBSPOT_APP_ID": "77", "REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert config.app_base_url == "https://moulin.example.com"
    assert config.redirect_uri == "https://moulin.example.com/oauth/callback"
    assert config.hubspot_app_id == 77
    assert config.hubspot_api_base == "https://api.hubapi.com"
    assert config.hubspot_auth_base == "https://app.hubspot.com"
    assert config.database_url.startswith("sqlite:///") and config.database_url.endswith("instance/moulin-hubspot.sqlite3")
    assert config.redis_url == "redis://127.0.0.1:6379/0"


@pytest.mark.parametrize("name", ["SECRET_KEY", "HUBSPOT_CLIENT_ID", "HUBSPOT_CLIENT_SECRET", "APP_BASE_URL", "TOKEN_ENCRYPTION_KEYS"])
def test_missing_required_setting_is_named(name):
    env = {k: v for k, v in GOOD.items() if k != name}
    with pytest.raises(ConfigError, match=name):
        Config.from_env(env)


def test_heroku_postgres_url_is_accepted():
    config = Config.from_env({**GOOD, "DATABASE_URL": "postgres://u:p@db.example:5432/app"})
    assert config.database_url == "postgresql+psycopg://u:p@db.example:5432/app"


@pytest.mark.parametrize(
    "name,value,message",
    [
        ("DATABASE_URL", "mysql://x/y", "DATABASE_URL"),
        ("APP_BASE_URL", "moulin.example.com", "APP_BASE_URL must be an http"),
        ("HUBSPOT_APP_ID", "abc", "HUBSPOT_APP_ID must be a whole number"),
        ("MAX_STORES_PER_PORTAL", "0", "MAX_STORES_PER_PORTAL must be at least 1"),
        pytest.param("TOKEN_ENCRYPTION_KEYS", f"{KEY},not-a-key", "key #2", id="second-key-malformed"),
    ],
)
def test_malformed_setting_is_named(name, value, message):
    with pytest.raises(ConfigError, match=message):
        Config.from_env({**GOOD, name: value})


def test_store_settings_default_to_production():
    config = Config.from_env(GOOD)
    assert config.allow_private_store_urls is False and config.max_stores_per_portal == 20
    assert Config.from_env({**GOOD, "ALLOW_PRIVATE_STORE_URLS": "1"}).allow_private_store_urls is True


def test_secrets_not_in_repr():
    config = Config.from_env(GOOD)
    assert "csecret" not in repr(config)
    assert KEY not in repr(config)
