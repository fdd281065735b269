"""The lean read path's SQLite parameters compare as the ORM's stored values do."""

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy.dialects import sqlite

from healthcode.db.lean import _sqlite_value

ORM_DATETIME = sqlite.DATETIME().bind_processor(sqlite.dialect())


def test_a_datetime_is_written_as_the_orm_writes_it() -> None:
    assert ORM_DATETIME is not None
    for moment in (datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), datetime(2026, 1, 2, 3, 4, 5, 7, tzinfo=UTC)):
        assert _sqlite_value(moment) == ORM_DATETIME(moment.replace(tzinfo=None)), moment


def test_another_zone_is_turned_to_utc_first() -> None:
    beijing = datetime(2026, 1, 2, 11, 4, 5, 7, tzinfo=timezone(timedelta(hours=8)))
    assert _sqlite_value(beijing) == "2026-01-02 03:04:05.000007"


def test_other_values_pass_as_they_are() -> None:
    assert _sqlite_value("abc") == "abc"
    assert _sqlite_value(5) == 5
