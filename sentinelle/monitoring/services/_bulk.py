"""Fast inserts for imports: COPY (PostgreSQL) or prepared statements run with executemany (SQLite), no
ORM compilation per object.

The ORM's bulk_create compiles every value of every object (and on SQLite splits inserts at 999
parameters): for an import of 10,000 incidents that is most of the time. Here each table gets one
prepared INSERT executed for all its rows; values are converted once per field kind with the fields'
own database preparation (encryption of the confidential fields included), so what is stored is
exactly what the ORM would store. Used inside the writing service's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection, models

from sentinelle.core.fields import EncryptedTextField

CHUNK = 5000
# From this many rows COPY with reserved ids beats one INSERT ... RETURNING (which the ORM sends for a few
# rows in one round trip; COPY costs a query for the ids and its own start and end).
COPY_FROM = 100


def _memoised(convert):
    """Dates and times repeat across an import's rows (one `now`, a few hundred days): convert each once."""
    cache: dict = {}

    def converted(value):
        if value not in cache:
            cache[value] = convert(value)
        return cache[value]

    return converted


def _converter(field: models.Field):
    """A function from a Python value to its database value, or None when the value goes as is."""
    if isinstance(field, EncryptedTextField):
        return field.get_prep_value
    if isinstance(field, models.UUIDField):
        native = connection.features.has_native_uuid_field
        return (lambda value: value) if native else (lambda value: value.hex if value is not None else None)
    if isinstance(field, models.DateTimeField | models.DateField):
        return _memoised(lambda value: field.get_db_prep_save(value, connection))
    if isinstance(field, models.JSONField):
        return lambda value: field.get_db_prep_save(value, connection)
    return None


def insert_sql(model, columns: Sequence[str]) -> str:
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    marks = ", ".join(["%s"] * len(columns))
    return f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES ({marks})"  # noqa: S608 (names quoted)


def copy_sql(model, columns: Sequence[str]) -> str:
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    return f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN"


def insert_tuples(model, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """Insert ready database values (`columns` are column names).

    On PostgreSQL through COPY (psycopg adapts each value as for a query parameter): about five times
    faster than the prepared INSERT, whose per-row round trips and parameter binding dominate imports.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor, cursor.cursor.copy(copy_sql(model, columns)) as copy:
            for row in rows:
                copy.write_row(row)
        return
    sql = insert_sql(model, columns)
    batch: list[tuple] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(row)
            if len(batch) >= CHUNK:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def insert_values(model, rows: list[list]) -> None:
    """Insert rows given as lists of every concrete field's Python value in field order (primary key
    first, ignored): converted here as the fields would."""
    if not rows:
        return
    fields = list(model._meta.concrete_fields)
    # The primary key and the columns the database fills itself (db_default: the record keys) are left out.
    converters = [
        (index, _converter(f))
        for index, f in enumerate(fields)
        if not f.primary_key and not f.has_db_default()
    ]
    converted = [(index, convert) for index, convert in converters if convert is not None]
    positions = [index for index, _c in converters]

    def values(row):
        out = list(row)
        for index, convert in converted:
            out[index] = convert(out[index])
        return tuple(out[index] for index in positions)

    columns = [fields[index].column for index in positions]
    insert_tuples(model, columns, (values(row) for row in rows))


def reserve_ids(model, count: int) -> list[int]:
    """`count` new primary keys of `model`, drawn from its identity sequence (PostgreSQL) in one query:
    rows written by COPY then carry the ids their children point at, with nothing read back."""
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [connection.ops.quote_name(model._meta.db_table), model._meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def create_many(objects: list[models.Model], *, batch_size: int = CHUNK) -> None:
    """Insert unsaved instances of one model, as the ORM's bulk_create would, and give them their
    primary keys. On PostgreSQL the ids are reserved from the sequence and the rows go by COPY: no SQL
    compiled per object, which for an import's typed details (thousands of GBV records of forty fields)
    cost more than the writing. Below COPY_FROM rows, and elsewhere, bulk_create (SQLite returns the ids)."""
    if not objects:
        return
    model = type(objects[0])
    if connection.vendor != "postgresql" or len(objects) < COPY_FROM:
        model._default_manager.bulk_create(objects, batch_size=batch_size)
        return
    # The columns the database fills itself (db_default: the record keys) are left to it, as bulk_create
    # leaves them.
    fields = [f for f in model._meta.concrete_fields if not f.has_db_default()]
    for obj, pk in zip(objects, reserve_ids(model, len(objects)), strict=True):
        obj.pk = pk
    plan = [(f, _converter(f)) for f in fields]

    def values(obj):
        out = []
        for model_field, convert in plan:
            value = model_field.pre_save(obj, True)  # auto_now and the like, as bulk_create applies them
            out.append(convert(value) if convert is not None else value)
        return tuple(out)

    insert_tuples(model, [f.column for f in fields], (values(obj) for obj in objects))
    for obj in objects:
        obj._state.adding, obj._state.db = False, connection.alias


def adopt_ids(objects: list[models.Model], key: str) -> None:
    """Give inserted instances their primary keys, found by a unique field (`key`)."""
    if not objects:
        return
    model = type(objects[0])
    by_key = {getattr(obj, key): obj for obj in objects}
    keys = sorted(by_key)
    manager = model._default_manager
    if len({len(value) for value in keys}) == 1:
        # Keys of one width (references of one block) sort as strings: one range query.
        queries = [manager.filter(**{f"{key}__gte": keys[0], f"{key}__lte": keys[-1]})]
    else:
        queries = [manager.filter(**{f"{key}__in": keys[i : i + 900]}) for i in range(0, len(keys), 900)]
    for query in queries:
        for value, pk in query.values_list(key, "pk"):
            obj = by_key.get(value)
            if obj is not None:
                obj.pk = pk
                obj._state.adding = False
                obj._state.db = connection.alias


def db_value(field: models.Field, value):
    convert = _converter(field)
    return convert(value) if convert is not None else value


def existing_source_ids(model, *, organisation_id: int, source_ids) -> set[str]:
    """The source ids among `source_ids` that `model` already holds for the organisation: one query with
    one array parameter on PostgreSQL (a list of 10,000 parameters costs more to send than to look up),
    batches under SQLite's parameter limit otherwise. `source_id <> ''` repeats the partial unique index's
    condition, so that the index serves the look-up."""
    ids = sorted(set(source_ids) - {""})
    if not ids:
        return set()
    table = connection.ops.quote_name(model._meta.db_table)
    found: set[str] = set()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT source_id FROM {table} WHERE organisation_id = %s AND source_id = ANY(%s) "  # noqa: S608
                "AND source_id <> ''",
                [organisation_id, ids],
            )
            return {row[0] for row in cursor.fetchall()}
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT source_id FROM {table} WHERE organisation_id = %s AND source_id IN ({marks}) "  # noqa: S608
                "AND source_id <> ''",
                [organisation_id, *chunk],
            )
            found.update(row[0] for row in cursor.fetchall())
    return found
