"""Roll-up tables kept current by the services, in the transaction of every write that moves a figure.

A dataset may declare roll-ups (core/datasets.Rollup): tables of its figures by month, area, organisation
and the dimensions it offers, which `aggregate` reads instead of the records when one covers the query.
They hold exactly what the records give at every moment: a service that changes records a roll-up
counts takes the records' contributions out before the change and puts them back after it, in its own
transaction (`rollups_updating`; `rollups_add` for new records, `rollups_remove` before a deletion). Each
is one statement per table, set-based whatever the number of records (an import's rows at once):

    INSERT INTO rollup (cells..., sums...)
    SELECT cells..., ±sums... FROM (the records' base rows GROUP BY cells) WHERE true
    ON CONFLICT (cells...) DO UPDATE SET sum = rollup.sum + EXCLUDED.sum, ...

Upserts of deltas commute, so concurrent writers need no lock on the table: each upsert locks the rows of
the cells it moves until its transaction ends (a writer to the same cell waits for the first to commit, so
services call these last in their transaction), always in the order of the cells and of the tables, so
that two writers never wait on each other in a cycle. A cell whose records left stays with 0 records
(read as absent). The cell key sum is kept modulo KEY_RANGE. `rollups_rebuild`
recomputes every table from the records (after a bulk load outside the services, a COD load, and in
the consistency test, which compares it with the maintained tables).

The apps name their own calls (monitoring/rollups.py: `incident_rollups_add(incident_ids=...)`...).
"""

from collections.abc import Iterable
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import F

from sentinelle.core import datasets
from sentinelle.core.figure_cache import EVERYTHING, figures_changed
from sentinelle.core.record_keys import KEY_RANGE

# Ids per statement: below SQLite's limit on bound parameters (32,766), once per table and chunk.
CHUNK = 20_000


def registered(keyed_by: str | None = None) -> list[datasets.Rollup]:
    """Every roll-up of the declared datasets (those kept by the writes of `keyed_by` records)."""
    found: dict[type, datasets.Rollup] = {}
    for dataset in datasets.all_datasets():
        for rollup in dataset.rollups:
            if keyed_by is None or rollup.keyed_by == keyed_by:
                found.setdefault(rollup.model, rollup)
    return list(found.values())


def rollups_add(*, keyed_by: str, ids: Iterable[int]) -> None:
    """Add these records' contributions as they are now (after creating or changing them)."""
    _apply(keyed_by, ids, sign=1)


def rollups_remove(*, keyed_by: str, ids: Iterable[int]) -> None:
    """Take these records' contributions out, as they are now (before changing or deleting them)."""
    _apply(keyed_by, ids, sign=-1)


@contextmanager
def rollups_updating(*, keyed_by: str, ids: Iterable[int]):
    """Around a change of these records: their contributions out before it, back in after it."""
    ids = sorted(set(ids))
    rollups_remove(keyed_by=keyed_by, ids=ids)
    yield
    rollups_add(keyed_by=keyed_by, ids=ids)


def _apply(keyed_by: str, ids: Iterable[int], *, sign: int) -> None:
    ids = sorted({int(pk) for pk in ids})
    if not ids:
        return
    # National tables last: every writer moves the same few national cells, whose row locks are held
    # until the commit; written last, they are held the shortest (the order is the same for every
    # writer, so two writers never wait on each other in a cycle).
    rollups = sorted(registered(keyed_by), key=lambda rollup: rollup.area is None)
    if not rollups:
        raise ValueError(f"No roll-up is kept for {keyed_by!r} records.")
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Compiling these statements (JIT, for their estimated cost) takes longer than running them.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            for rollup in rollups:
                _upsert_ids(rollup, chunk, sign=sign)


# On PostgreSQL the ids are one array parameter (`__in_ids`): a table's statement is the same text for
# every write, so it is compiled once per process. Compiling it through the ORM took 7 ms per table,
# 100 ms of each OpenRosa submission for 14 tables, several times what PostgreSQL takes to run them.
_COMPILED: dict[tuple[int, int], tuple[str, list, int]] = {}
_MARKER = -(2**62)  # an id no record has: finds the ids' place among the compiled parameters


def _upsert_ids(rollup: datasets.Rollup, ids: list[int], *, sign: int) -> None:
    if connection.vendor != "postgresql":
        upsert(rollup, rollup.source(ids), sign=sign)
        return
    key = (id(rollup), sign)
    if key not in _COMPILED:
        statement, params = _statement(rollup, rollup.source([_MARKER]), sign=sign)
        (position,) = [index for index, value in enumerate(params) if value == [_MARKER]]
        _COMPILED[key] = (statement, params, position)
    statement, params, position = _COMPILED[key]
    params = list(params)
    params[position] = ids
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def contributions(rollup: datasets.Rollup, rows):
    """The base rows grouped by the roll-up's cells: values named c_<field> and s_<field>."""
    cells = {
        f"c_{name}": F(expression) if isinstance(expression, str) else expression
        for name, expression in rollup.columns.items()
    }
    sums = {f"s_{name}": expression for name, expression in rollup.sums.items()}
    return rows.order_by().values(**cells).annotate(**sums)


def upsert(rollup: datasets.Rollup, rows, *, sign: int) -> None:
    """One INSERT ... SELECT ... ON CONFLICT for the contributions of `rows` (base rows), times `sign`."""
    statement, params = _statement(rollup, rows, sign=sign)
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _statement(rollup: datasets.Rollup, rows, *, sign: int) -> tuple[str, list]:
    quote = connection.ops.quote_name
    meta = rollup.model._meta
    table = quote(meta.db_table)
    cells = [quote(meta.get_field(name).column) for name in rollup.columns]
    sums = [quote(meta.get_field(name).column) for name in rollup.sums]
    selected = [f"s.c_{name}" for name in rollup.columns]
    updates = []
    for name, column in zip(rollup.sums, sums, strict=True):
        value = f"{'-' if sign < 0 else ''}s.s_{name}"
        if name == rollup.key_sum:
            # %% : the statement is %-formatted with its parameters.
            selected.append(f"(({value}) %% {KEY_RANGE} + {KEY_RANGE}) %% {KEY_RANGE}")
            updates.append(
                f"{column} = (({table}.{column} + EXCLUDED.{column}) %% {KEY_RANGE} + {KEY_RANGE}) "
                f"%% {KEY_RANGE}"
            )
        else:
            selected.append(value)
            updates.append(f"{column} = {table}.{column} + EXCLUDED.{column}")
    sql, params = contributions(rollup, rows).query.sql_with_params()
    # "WHERE true": SQLite reads ON CONFLICT after a bare SELECT ... FROM as a join's ON.
    statement = (
        f"INSERT INTO {table} ({', '.join(cells + sums)}) "  # noqa: S608 (names from the models)
        f"SELECT {', '.join(selected)} FROM ({sql}) s WHERE true "
        f"ORDER BY {', '.join(f's.c_{name}' for name in rollup.columns)} "
        f"ON CONFLICT ({', '.join(cells)}) DO UPDATE SET {', '.join(updates)}"
    )
    return statement, list(params)


def rebuild(rollup: datasets.Rollup) -> None:
    """The table recomputed from every record (by the roll-up's own `rebuild` when it has one)."""
    if rollup.rebuild is not None:
        rollup.rebuild()
        return
    with transaction.atomic():
        rollup.model.objects.all().delete()
        upsert(rollup, rollup.source(None), sign=1)


def rollups_rebuild(keyed_by: str | None = None, *, done=None) -> list[datasets.Rollup]:
    """Every roll-up recomputed from the records (each own `rebuild` called once); `done(rollup)` is
    called after each. The figures move (the records may have changed outside the services)."""
    rollups, rebuilt = registered(keyed_by), set()
    for rollup in rollups:
        if rollup.rebuild is not None and rollup.rebuild in rebuilt:
            continue
        rebuilt.add(rollup.rebuild)
        rebuild(rollup)
        if done is not None:
            done(rollup)
    figures_changed(EVERYTHING)
    return rollups


def recomputed_rows(rollup: datasets.Rollup) -> set[tuple]:
    """The table's cells as the records give them now (cells with records only; the key modulo KEY_RANGE):
    what the consistency test compares with `stored_rows`."""
    out = set()
    for row in contributions(rollup, rollup.source(None)):
        values = {name[2:]: value for name, value in row.items()}
        if values.get(rollup.key_sum) is not None:
            values[rollup.key_sum] = int(values[rollup.key_sum]) % KEY_RANGE
        out.add(_row_key(rollup, values))
    return {row for row in out if any(row[len(rollup.columns) :])}


def stored_rows(rollup: datasets.Rollup) -> set[tuple]:
    rows = rollup.model.objects.values(
        *[_value_name(rollup, name) for name in [*rollup.columns, *rollup.sums]]
    )
    out = set()
    for row in rows:
        values = {name: row[_value_name(rollup, name)] for name in [*rollup.columns, *rollup.sums]}
        out.add(_row_key(rollup, values))
    # Cells whose records all left (every sum back at 0) are as good as absent.
    return {row for row in out if any(row[len(rollup.columns) :])}


def _value_name(rollup, name: str) -> str:
    field = rollup.model._meta.get_field(name)
    return field.attname


def _row_key(rollup, values: dict) -> tuple:
    cells = tuple(values[name] for name in rollup.columns)
    sums = tuple(int(values[name] or 0) for name in rollup.sums if name != rollup.records)
    return (*cells, *sums, int(values[rollup.records] or 0))
