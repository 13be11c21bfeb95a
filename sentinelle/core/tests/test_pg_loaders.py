"""Timestamps read from PostgreSQL (core/pg_loaders.py): the same values as Django's own loader."""

import datetime

import pytest
from django.db import DataError, connection
from django.db.backends.postgresql.psycopg_any import register_tzloader

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's timestamp loader"),
]

VALUES = [
    "2026-12-07 12:11:43.389502+00",
    "2026-01-01 10:00:00+01",
    "1999-12-31 23:59:59.5-03:30",
    "2026-03-10 00:00:00.000001+05:45",
    "0001-01-02 00:00:00+00",
]


def _read(cursor) -> list:
    cursor.execute("SELECT " + ", ".join("%s::timestamptz" for _ in VALUES), VALUES)
    return list(cursor.fetchone())


def test_timestamps_read_as_djangos_loader_reads_them():
    with connection.cursor() as cursor:
        assert connection.connection.adapters.get_loader(1184, 0).__name__ == "IsoTzLoaderFor"
        ours = _read(cursor)
    with connection.cursor() as cursor:
        register_tzloader(connection.timezone, cursor.cursor)  # Django's own, on this cursor only
        theirs = _read(cursor)
    assert ours == theirs
    assert [value.tzinfo for value in ours] == [value.tzinfo for value in theirs]
    assert ours[1] == datetime.datetime(2026, 1, 1, 9, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize("zone", ["Africa/Bamako", "Asia/Kathmandu", "America/St_Johns"])
def test_a_session_in_another_zone_still_reads_the_right_instants(zone):
    """PostgreSQL writes timestamps in the session's zone (Django keeps it at UTC): whatever the offset
    written, the instant read is the one stored."""
    expected = [datetime.datetime.fromisoformat(value) for value in VALUES]
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE %s", [zone])
        try:
            assert _read(cursor) == expected
        finally:
            cursor.execute("SET TIME ZONE 'UTC'")


def test_what_iso_cannot_say_fails_as_before():
    with connection.cursor() as cursor, pytest.raises(DataError):
        cursor.execute("SELECT '-infinity'::timestamptz")
        cursor.fetchone()
