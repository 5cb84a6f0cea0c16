"""UTC datetimes on SQLite are written by datetime's own method in exactly the text SQLAlchemy's SQLite
dialect writes, so rows stored before and after compare and sort the same (`db.base.SQLiteDateTime`)."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select, text
from sqlalchemy.dialects import sqlite

from hubspot_app.db.base import UTCDateTime

SAMPLES = [datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(2026, 12, 1, 4, 5, 6, 7, tzinfo=timezone.utc),
           datetime(2999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc), datetime(5, 1, 1, 2, 3, tzinfo=timezone.utc),
           datetime(2026, 3, 29, 2, 30, tzinfo=timezone(timedelta(hours=14)))]


def test_the_text_is_the_sqlite_dialects_own():
    dialect = sqlite.dialect()
    ours = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    theirs = sqlite.DATETIME().bind_processor(dialect)
    for value in SAMPLES:
        assert ours(value) == theirs(value.astimezone(timezone.utc).replace(tzinfo=None)), value
    assert ours(None) is None


def test_a_round_trip_keeps_the_instant():
    table = Table("stamps", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime))
    engine = create_engine("sqlite://")
    table.create(engine)
    with engine.begin() as connection:
        connection.execute(insert(table), [{"id": i, "at": at} for i, at in enumerate(SAMPLES)])
        back = dict(connection.execute(select(table.c.id, table.c.at)).all())
        raw = connection.execute(text("SELECT at FROM stamps WHERE id = 1")).scalar()
        later = connection.execute(select(table.c.id).where(table.c.at > SAMPLES[1])).scalars().all()
    assert [back[i] for i in range(len(SAMPLES))] == SAMPLES
    assert raw == "2026-12-01 04:05:06.000007"
    assert later == [2]  # sample 4 is 2026-03-28 12:30 in UTC: compared by instant, not by its local time
