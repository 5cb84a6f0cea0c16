"""The Alembic migrations build exactly the schema the models declare, and unwind cleanly."""
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

import hubspot_app.db.models  # noqa: F401
from hubspot_app.cli.db import alembic_config
from hubspot_app.db.base import Base

pytestmark = pytest.mark.db


@pytest.fixture
def empty_database(database_url):
    engine = create_engine(database_url)
    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    yield database_url, engine
    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


def test_upgrade_from_empty_matches_models_then_downgrade_to_nothing(empty_database):
    url, engine = empty_database
    config = alembic_config(url)
    command.upgrade(config, "head")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"
    command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}


def test_a_portal_set_up_before_keeps_account_identity_and_new_ones_default_to_siret(empty_database):
    url, engine = empty_database
    config = alembic_config(url)
    command.upgrade(config, "0003")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO sync_portal_setups (portal_id, version, pipeline_id, stage_ids, updated_at) "
                          "VALUES (7, 1, 'p', '{}', CURRENT_TIMESTAMP)"))
    command.upgrade(config, "0004_e")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT company_identity FROM sync_portal_setups WHERE portal_id = 7")).scalar() \
            == "account"
    command.downgrade(config, "base")
