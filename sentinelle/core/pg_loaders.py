"""Timestamps read from PostgreSQL with the C parser of the standard library.

Django loads every `timestamptz` with its own loader (`BaseTzLoader`), a subclass of psycopg's pure-Python
one, so psycopg's compiled loader never runs: each timestamp is parsed by a regular expression (about
50 µs). A list page reads a few hundred of them; the case list spent a quarter of its Python time there.
`IsoTzLoader` keeps Django's loader and its `timezone` (Django re-registers its own on a cursor whose
loader's timezone differs) but parses PostgreSQL's ISO output with `datetime.fromisoformat` (under 1 µs),
giving the same instant in the same zone; anything else (another DateStyle) goes the old way.
"""

from datetime import datetime

from django.db.backends.postgresql.psycopg_any import BaseTzLoader


class IsoTzLoader(BaseTzLoader):
    def load(self, data):
        try:
            value = datetime.fromisoformat(bytes(data).decode())
        except ValueError:
            return super().load(data)
        if self.timezone is None:
            return value.replace(tzinfo=None)
        return value.astimezone(self.timezone)


def register_iso_loader(sender, connection, **kwargs) -> None:
    """On every new PostgreSQL connection (connection_created): `IsoTzLoader` for its time zone."""
    if connection.vendor != "postgresql":
        return
    loader = type("IsoTzLoaderFor", (IsoTzLoader,), {"timezone": connection.timezone})
    connection.connection.adapters.register_loader("timestamptz", loader)
