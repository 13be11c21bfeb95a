"""The roll-up machinery (core/rollups.py) and how `aggregate` reads roll-ups (core/datasets.py), on the
monitoring roll-ups: deltas add up and cancel out, the cell key sum stays modulo KEY_RANGE, a rebuild moves
every figure, and a query is read from a roll-up only when it is exact there."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sentinelle.core import dataset_rollups, datasets, rollups
from sentinelle.core.datasets import Filters
from sentinelle.core.models import DataStamp
from sentinelle.core.periods import month_aligned
from sentinelle.core.record_keys import KEY_RANGE
from sentinelle.monitoring.models import Incident, IncidentAreaRollup
from sentinelle.monitoring.tests.factories import cercle_of, make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def incidents(monitor, mopti):
    area = cercle_of(mopti)
    return [make_incident(actor=monitor, area=area, status="submitted") for _ in range(3)]


def _cells():
    return {rollup.model: rollups.stored_rows(rollup) for rollup in rollups.registered("incident")}


def test_removing_and_adding_records_again_gives_the_same_tables(incidents):
    ids = [incident.pk for incident in incidents]
    before = _cells()
    rollups.rollups_remove(keyed_by="incident", ids=ids[:2])
    rollups.rollups_remove(keyed_by="incident", ids=ids[2:])
    # Every cell back at 0 records, sums and key: as good as absent.
    assert all(not cells for cells in _cells().values())
    assert set(IncidentAreaRollup.objects.values_list("n", "key_sum")) == {(0, 0)}
    rollups.rollups_add(keyed_by="incident", ids=reversed(ids))
    assert _cells() == before


def test_the_cell_key_sum_stays_below_key_range_and_matches_the_records(incidents):
    Incident.objects.filter(pk__in=[i.pk for i in incidents]).update(record_key=KEY_RANGE - 1)
    rollups.rollups_rebuild("incident")
    [cell] = IncidentAreaRollup.objects.all()
    assert cell.n == 3 and cell.key_sum == (3 * (KEY_RANGE - 1)) % KEY_RANGE
    rollups.rollups_add(keyed_by="incident", ids=[incidents[0].pk])  # as if counted twice
    cell.refresh_from_db()
    assert cell.n == 4 and 0 <= cell.key_sum < KEY_RANGE


def test_a_change_inside_updating_moves_the_records_from_their_old_cells_to_the_new(incidents, mopti):
    other = cercle_of(mopti, pcode="ML0502")
    with rollups.rollups_updating(keyed_by="incident", ids=[incidents[0].pk]):
        Incident.objects.filter(pk=incidents[0].pk).update(area=other, date_start=datetime.date(2026, 1, 15))
    rows = datasets.aggregate("incidents", group_by=["admin2", "month"])
    counts = {(row["admin2"], row["month"]): row["count"] for row in rows}
    assert counts[(other.pcode, datetime.date(2026, 1, 1))] == 1
    assert sum(counts.values()) == 3
    for rollup in rollups.registered("incident"):
        assert rollups.stored_rows(rollup) == rollups.recomputed_rows(rollup)


def test_no_ids_no_statement_and_unknown_records_are_refused(django_assert_num_queries):
    with django_assert_num_queries(0):
        rollups.rollups_add(keyed_by="incident", ids=[])
    with pytest.raises(ValueError, match="nothing"):
        rollups.rollups_add(keyed_by="nothing", ids=[1])


def test_a_rebuild_moves_every_figure(incidents, django_capture_on_commit_callbacks):
    before = DataStamp.objects.filter(scope="*").values_list("version", flat=True).first() or 0
    with django_capture_on_commit_callbacks(execute=True):
        rollups.rollups_rebuild("incident")
    assert DataStamp.objects.get(scope="*").version == before + 1


def test_dates_are_read_from_a_rollup_only_on_month_boundaries():
    aligned = Filters(date_from=datetime.date(2026, 2, 1), date_to=datetime.date(2026, 2, 28))
    assert month_aligned(aligned.date_from, aligned.date_to)
    assert month_aligned(None, datetime.date(2024, 2, 29))
    assert not month_aligned(None, datetime.date(2026, 2, 27))
    assert not month_aligned(datetime.date(2026, 2, 2), None)


def test_the_totals_of_a_rollup_and_of_the_records_are_the_same_rows(incidents):
    dataset = datasets.get("incidents")
    rollup = dataset_rollups.covering_rollup(dataset, ["count"], ["admin1"], Filters(), floor="")
    assert rollup is not None
    got = dataset_rollups.compute_from_rollup(dataset, rollup, ["count"], ["admin1"], Filters(), floor="")
    assert got == datasets.compute_from_base(dataset, ["count"], ["admin1"], Filters(), exact=True)
    assert got[0]["count"] == 3


@pytest.mark.parametrize("keyed_by", ["incident", "case", "referral", "activity"])
def test_a_table_is_summed_only_from_a_finer_one_where_each_record_lies_in_one_cell(keyed_by):
    tables = rollups.registered(keyed_by)
    roots = rollups._families(keyed_by, tables)
    for table in tables:
        root = roots[id(table)]
        assert roots[id(root)] is root  # a root is its own
        assert set(table.columns) <= set(root.columns) and set(table.sums) <= set(root.sums)
        # A column where a record falls in several rows (categories) must be one of the table's own.
        assert root.multi <= set(table.columns), table.model.__name__


def test_the_incident_tables_fall_in_their_datasets_families():
    tables = {table.model.__name__: table for table in rollups.registered("incident")}
    roots = rollups._families("incident", list(tables.values()))

    def root_of(name):
        return roots[id(tables[name])].model.__name__

    assert {root_of(name) for name in ("IncidentAreaTotal", "IncidentAreaRollup")} == {"IncidentRollup"}
    assert root_of("IncidentCategoryNational") == "IncidentCategoryRollup"
    assert root_of("VictimNational") == "VictimRollup"
    # Never from a table of categories or victim cells: a record lies in several of their cells.
    assert root_of("VictimCategoryRollup") == "VictimCategoryRollup"
    assert root_of("ViolationAreaRollup") == "ViolationRollup"
    assert len({id(root) for root in roots.values()}) == 8


def test_a_large_write_stages_each_family_once(incidents, monkeypatch):
    monkeypatch.setattr(rollups, "STAGE_FROM", 1)
    ids = [incident.pk for incident in incidents]
    before = _cells()
    with CaptureQueriesContext(connection) as queries:
        rollups.rollups_remove(keyed_by="incident", ids=ids)
    staged = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("CREATE TEMP TABLE")]
    assert len(staged) == 8  # the families, not the 17 tables
    assert all(not cells for cells in _cells().values())
    rollups.rollups_add(keyed_by="incident", ids=ids)
    assert _cells() == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_staging_reaches_the_records_by_their_ids_never_by_reading_whole_tables(incidents):
    # A staged delta costs the size of the write: no plan of a family's join reads a whole table of
    # records or hashes one (what PostgreSQL chose for 5,000 ids, at a cost growing with the register).
    tables = rollups.registered("incident")
    roots = {id(root): root for root in rollups._families("incident", tables).values()}
    ids = [incident.pk for incident in incidents]
    with connection.cursor() as cursor, rollups._record_by_record_plans(cursor):
        for root in roots.values():
            sql, params = rollups._contributions_sql(root, ids)
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Seq Scan" not in plan and "Hash Join" not in plan, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner settings")
def test_a_failed_staging_shows_its_own_error_and_leaves_the_planner_as_it_was(incidents, monkeypatch):
    from django.db import DataError, transaction

    def failing(cursor, root, ids, index):
        cursor.execute("SELECT 1 / 0")

    monkeypatch.setattr(rollups, "STAGE_FROM", 1)
    monkeypatch.setattr(rollups, "_stage", failing)
    before = _cells()
    with pytest.raises(DataError, match="division by zero"), transaction.atomic():
        rollups.rollups_add(keyed_by="incident", ids=[incidents[0].pk])
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_seqscan'), current_setting('enable_hashjoin')")
        assert cursor.fetchone() == ("on", "on")
    assert _cells() == before
