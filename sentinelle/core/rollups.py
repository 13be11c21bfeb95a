"""Roll-up tables kept current by the services, in the transaction of every write that moves a figure.

A dataset may declare roll-ups (core/datasets.Rollup): tables of its figures by month, area, organisation
and the dimensions it offers, which `aggregate` reads instead of the records when one covers the query.
They hold exactly what the records give at every moment: a service that changes records a roll-up
counts takes the records' contributions out before the change and puts them back after it, in its own
transaction (`rollups_updating`; `rollups_add` for new records, `rollups_remove` before a deletion). For a
few records, each is one statement per table, set-based:

    INSERT INTO rollup (cells..., sums...)
    SELECT cells..., ±sums... FROM (the records' base rows GROUP BY cells) WHERE true
    ON CONFLICT (cells...) DO UPDATE SET sum = rollup.sum + EXCLUDED.sum, ...

For many (an import's rows, from STAGE_FROM ids), the join of the records is done once per family, not
once per table: tables of one dataset share their base rows and most are coarser views of a finer one
(incidents by month and area, and by month, area, organisation, status...), so the contributions are
grouped by the family's finest cells into a temporary table (`_families`, `_apply_staged`), and every
table of the family is upserted from it, grouped by its own cells. Both give the same rows (the
consistency tests run both). The join, not the upsert, was most of an import's roll-up time.

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
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Compiling these statements (JIT, for their estimated cost) takes longer than running them.
            cursor.execute("SET LOCAL jit = off")
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            if len(chunk) >= STAGE_FROM:
                _apply_staged(cursor, keyed_by, rollups, chunk, sign=sign)
                continue
            for rollup in rollups:
                if connection.vendor == "postgresql":
                    cursor.execute(*_compiled_upsert(rollup, chunk, sign=sign))
                else:
                    upsert(rollup, rollup.source(chunk), sign=sign)


def _apply_staged(
    cursor, keyed_by: str, rollups: list[datasets.Rollup], ids: list[int], *, sign: int
) -> None:
    """Each family's contributions staged once, then every table upserted from its family's stage."""
    roots = _families(keyed_by, rollups)
    staged: dict[int, str] = {}
    with _record_by_record_plans(cursor):
        for root in {id(root): root for root in roots.values()}.values():
            staged[id(root)] = _stage(cursor, root, ids, len(staged))
    for rollup in rollups:
        cursor.execute(_derived_statement(rollup, staged[id(roots[id(rollup)])], sign=sign))
    for table in staged.values():
        cursor.execute(f"DROP TABLE {table}")


# From how many ids a write stages each family's contributions once (`_apply_staged`) instead of
# running one statement per table: below it, the join of a few records is cheaper than a temporary
# table (one record: 35 ms for the 17 incident tables one by one, 60 ms staged); for an import's 5,000
# the join, run once per family instead of once per table, is most of the time saved.
STAGE_FROM = 200

# The families of each kind of records (`_families`): id of a roll-up -> the roll-up whose cells it is
# grouped from. Computed once per process, from the compiled SQL of the declarations.
_ROOTS: dict[str, dict[int, datasets.Rollup]] = {}
# On PostgreSQL the ids are one array parameter (`__in_ids`): a family's staging statement is the same
# text for every write, so it is compiled once per process (compiling through the ORM took 7 ms per
# table, 100 ms of each OpenRosa submission for 14 tables, several times what PostgreSQL takes to run).
_COMPILED: dict[tuple, tuple[str, list, int]] = {}
_MARKER = -(2**62)  # an id no record has: finds the ids' place among the compiled parameters


def _families(keyed_by: str, rollups: list[datasets.Rollup]) -> dict[int, datasets.Rollup]:
    """Each roll-up's root: the finest table of the same base rows whose cells it can be summed from.

    A table derives from a finer one when the base rows are the same (same SQL), its cell columns and
    sums are among the finer one's (same SQL), and every column where one record falls in several rows
    (`multi`: an incident's categories) is one of its own columns: then every record lies in exactly one
    finer cell of each of its cells, and the finer sums (counts, sums, distinct counts, cell key sums) add
    up to its own. The others are their own roots."""
    if keyed_by in _ROOTS:
        return _ROOTS[keyed_by]
    shapes = {id(rollup): _shape(rollup) for rollup in rollups}
    roots: dict[int, datasets.Rollup] = {}
    chosen: list[datasets.Rollup] = []
    for rollup in sorted(rollups, key=lambda rollup: -rollup.size):
        base, columns, sums = shapes[id(rollup)]
        for root in chosen:
            root_base, root_columns, root_sums = shapes[id(root)]
            if (
                base == root_base
                and columns.items() <= root_columns.items()
                and sums.items() <= root_sums.items()
                and root.multi <= columns.keys()
            ):
                roots[id(rollup)] = root
                break
        else:
            chosen.append(rollup)
            roots[id(rollup)] = rollup
    _ROOTS[keyed_by] = roots
    return roots


def _shape(rollup: datasets.Rollup) -> tuple[str, dict[str, str], dict[str, str]]:
    """The SQL of the roll-up's base rows, and of each of its cell columns and sums over them."""
    rows = rollup.source([_MARKER]).order_by()

    def sql(queryset) -> str:
        statement, params = queryset.query.sql_with_params()
        return f"{statement} {params!r}"

    columns = {
        name: sql(rows.values(c=F(expression) if isinstance(expression, str) else expression))
        for name, expression in rollup.columns.items()
    }
    sums = {name: sql(rows.values("pk").annotate(s=expression)) for name, expression in rollup.sums.items()}
    return sql(rows), columns, sums


# What the planner may not do while staging (PostgreSQL): a delta touches the records of its ids and
# their few related rows, reached by index. Left free, the planner hashes or merges whole tables (every
# incident, every victim count) whenever its estimates make that look cheaper, and those estimates are
# off several times for an array of ids: the staging then costs the size of the database, not of the
# write (at 50,000 incidents, 634 ms -> 290 ms for the 8 families of a 5,000-row chunk; the whole-table
# plans grow with the register, these do not).
_STAGING_PLANS = ("enable_seqscan", "enable_hashjoin", "enable_mergejoin", "enable_bitmapscan")


@contextmanager
def _record_by_record_plans(cursor):
    if connection.vendor != "postgresql":
        yield
        return
    # set_config(..., true): SET LOCAL, for the transaction; back to the session's values after.
    before = ", ".join(f"current_setting('{setting}')" for setting in _STAGING_PLANS)
    cursor.execute(f"SELECT {before}")
    values = cursor.fetchone()
    switch = ", ".join(f"set_config('{setting}', %s, true)" for setting in _STAGING_PLANS)
    cursor.execute(f"SELECT {switch}", ["off"] * len(_STAGING_PLANS))
    yield
    # Not in a `finally`: after an error the transaction (or its savepoint) is rolled back, and that takes
    # these settings back too; a statement sent then would only hide the error under "transaction aborted".
    cursor.execute(f"SELECT {switch}", list(values))


def _stage(cursor, root: datasets.Rollup, ids: list[int], index: int) -> str:
    """The records' contributions by the root's cells, into a temporary table (dropped by
    `_apply_staged` in the same transaction): its name."""
    if connection.vendor == "postgresql":
        sql, params = _with_ids(("stage", id(root)), lambda marked: _contributions_sql(root, marked), ids)
    else:
        sql, params = _contributions_sql(root, ids)
    table = connection.ops.quote_name(f"rollup_delta_{index}")
    cursor.execute(f"CREATE TEMP TABLE {table} AS {sql}", params)
    return table


def _contributions_sql(rollup: datasets.Rollup, ids: list[int]) -> tuple[str, list]:
    sql, params = contributions(rollup, rollup.source(ids)).query.sql_with_params()
    return sql, list(params)


def _compiled_upsert(rollup: datasets.Rollup, ids: list[int], *, sign: int) -> tuple[str, list]:
    def compile_upsert(marked):
        sql, params = _contributions_sql(rollup, marked)
        return _upsert_statement(rollup, sql, sign=sign, modulo="%%"), params

    return _with_ids(("upsert", id(rollup), sign), compile_upsert, ids)


def _with_ids(key: tuple, compile_statement, ids: list[int]) -> tuple[str, list]:
    """A statement compiled once per process with a marker for the ids' array, and its parameters with
    these ids (PostgreSQL: the ids are one parameter, see `_COMPILED`)."""
    if key not in _COMPILED:
        statement, params = compile_statement([_MARKER])
        (position,) = [index for index, value in enumerate(params) if value == [_MARKER]]
        _COMPILED[key] = (statement, params, position)
    statement, params, position = _COMPILED[key]
    params = list(params)
    params[position] = ids
    return statement, params


def _derived_statement(rollup: datasets.Rollup, staged: str, *, sign: int) -> str:
    """The upsert of a table from its family's staged contributions: grouped by its own cells."""
    grouped = [f"c_{name}" for name in rollup.columns]
    sums = {name: f"SUM(s_{name})" for name in rollup.sums}
    source = (
        f"SELECT {', '.join([*grouped, *(f'{value} AS s_{name}' for name, value in sums.items())])} "  # noqa: S608
        f"FROM {staged} GROUP BY {', '.join(grouped)}"
    )
    return _upsert_statement(rollup, source, sign=sign)


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
    sql, params = contributions(rollup, rows).query.sql_with_params()
    with connection.cursor() as cursor:
        # "%%": the statement is %-formatted with its parameters.
        cursor.execute(_upsert_statement(rollup, sql, sign=sign, modulo="%%"), params)


def _upsert_statement(rollup: datasets.Rollup, source: str, *, sign: int, modulo: str = "%") -> str:
    """INSERT the contributions `source` selects (c_<column>, s_<sum>) times `sign` into the table, adding
    them to the cells already there (`modulo`: "%%" in a statement run with parameters)."""
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
            selected.append(f"(({value}) {modulo} {KEY_RANGE} + {KEY_RANGE}) {modulo} {KEY_RANGE}")
            updates.append(
                f"{column} = (({table}.{column} + EXCLUDED.{column}) {modulo} {KEY_RANGE} + {KEY_RANGE}) "
                f"{modulo} {KEY_RANGE}"
            )
        else:
            selected.append(value)
            updates.append(f"{column} = {table}.{column} + EXCLUDED.{column}")
    # "WHERE true": SQLite reads ON CONFLICT after a bare SELECT ... FROM as a join's ON.
    return (
        f"INSERT INTO {table} ({', '.join(cells + sums)}) "  # noqa: S608 (names from the models)
        f"SELECT {', '.join(selected)} FROM ({source}) s WHERE true "
        f"ORDER BY {', '.join(f's.c_{name}' for name in rollup.columns)} "
        f"ON CONFLICT ({', '.join(cells)}) DO UPDATE SET {', '.join(updates)}"
    )


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
