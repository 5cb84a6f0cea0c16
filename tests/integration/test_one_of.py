"""`db.one_of`: "column is one of these keys" finds the same rows on both databases, and on PostgreSQL a list of
500 keys is one bound array, not 500 placeholders (psycopg converts a statement of more than 50 again at every
execution)."""
import pytest
from sqlalchemy import select

from hubspot_app import extensions
from hubspot_app.db.models import ObjectLink
from hubspot_app.db.one_of import one_of
from hubspot_app.db.repository import load_links, save_links

pytestmark = pytest.mark.db

KEYS = ["b2c:1", "b2c:it's", "b2c:50%", "b2c:a,b", "b2c:{x}", "b2c:é", "b2c:_"]


def test_the_same_rows_on_either_database(app):
    with app.app_context(), extensions.db().session() as session:
        save_links(session, 7, "deal", {key: (str(n), None, "synced") for n, key in enumerate(KEYS)})
        save_links(session, 8, "deal", {"b2c:1": ("99", None, "synced")})
        session.commit()
        wanted = [*KEYS[1:], "b2c:absent", "b2c:%"]
        assert sorted(load_links(session, 7, "deal", wanted)) == sorted(KEYS[1:])
        assert session.scalars(select(ObjectLink.id).where(one_of(session, ObjectLink.source_key, []))).all() == []
        both = session.scalars(select(ObjectLink.hubspot_id).where(
            one_of(session, ObjectLink.source_key, ["b2c:1"]), one_of(session, ObjectLink.portal_id, [8]))).all()
        assert both == ["99"]


def test_a_long_list_is_one_parameter_on_postgresql(app):
    with app.app_context(), extensions.db().session() as session:
        statement = select(ObjectLink.id).where(one_of(session, ObjectLink.source_key, [f"k{n}" for n in range(500)]))
        compiled = statement.compile(dialect=session.get_bind().dialect)
        if session.get_bind().dialect.name == "postgresql":
            assert len(compiled.params) == 1 and "ANY" in str(compiled)
        else:  # SQLite has no arrays: an IN list (expanded when run)
            assert " IN " in str(compiled)


def test_postgresql_plans_every_statement_with_its_values(app):
    # A prepared `= ANY($1)` on a table without statistics would get a generic plan comparing every row with
    # every key (`db.make_engine`); SQLite has no plan cache to set.
    with app.app_context(), extensions.db().session() as session:
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("SQLite keeps no plans between statements")
        assert session.connection().exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_custom_plan"
