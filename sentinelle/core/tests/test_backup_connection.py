"""Behind PgBouncer, pg_dump and pg_restore reach the same database directly (DATABASE_DIRECT_URL)."""

from django.db import connection

from sentinelle.core import backups


def test_backups_reach_the_database_directly_when_told(settings):
    settings.SENTINELLE = {
        **settings.SENTINELLE,
        "DATABASE_DIRECT_URL": "postgres://dump:s3cret@10.0.0.5:5433/x",
    }

    args, env = backups._postgres_env()

    assert args[args.index("--host") + 1] == "10.0.0.5" and args[args.index("--port") + 1] == "5433"
    assert args[args.index("--username") + 1] == "dump" and env["PGPASSWORD"] == "s3cret"
    # The same database as the application's (the pooler maps names one to one), not the URL's.
    assert args[args.index("--dbname") + 1] == str(connection.settings_dict["NAME"])


def test_without_it_backups_use_the_application_connection(settings):
    settings.SENTINELLE = {**settings.SENTINELLE, "DATABASE_DIRECT_URL": ""}

    args, _env = backups._postgres_env()

    assert "10.0.0.5" not in args
    assert args[args.index("--dbname") + 1] == str(connection.settings_dict["NAME"])
