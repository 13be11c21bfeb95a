"""incident_import_many: bulk, all or nothing, idempotent by source id, constant number of queries."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sentinelle.core.models import AuditAction, AuditEntry
from sentinelle.monitoring.models import (
    Casualty,
    GBVIncident,
    GraveViolation,
    Incident,
    IncidentEvent,
    IncidentReferenceCounter,
    VictimCount,
)
from sentinelle.monitoring.services.incidents import incident_import_many
from sentinelle.monitoring.tests.factories import (
    cercle_of,
    commune_of,
    days_ago,
    explosive_incident_input,
    gbv_allegation_input,
    gbv_incident_input,
    incident_input,
    today,
    violation_incident_input,
)


@pytest.fixture
def area(mopti):
    return cercle_of(mopti)


def _rows(area, count, prefix="row"):
    return [
        incident_input(
            area, source_id=f"{prefix}-{i}", summary=f"Incident {i}", date_start=days_ago(i % 60 + 10)
        )
        for i in range(count)
    ]


def _state():
    return (
        Incident.objects.count(),
        VictimCount.objects.count(),
        IncidentEvent.objects.count(),
        AuditEntry.objects.filter(action=AuditAction.IMPORT).count(),
        list(IncidentReferenceCounter.objects.values_list("last", flat=True)),
    )


def test_import_creates_all_rows_submitted_in_row_order(monitor, alpha, area):
    rows = _rows(area, 30)
    result = incident_import_many(actor=monitor, organisation=alpha, rows=rows)
    assert (result.created, result.unchanged) == (30, 0)
    assert [i.source_id for i in result.incidents] == [r.source_id for r in rows]
    assert Incident.objects.filter(status="submitted", channel="import").count() == 30
    assert len({i.reference for i in result.incidents}) == 30
    assert IncidentEvent.objects.filter(kind="submitted").count() == 30
    entry = AuditEntry.objects.filter(action=AuditAction.IMPORT).latest("id")
    assert entry.detail["created"] == 30


@pytest.mark.parametrize("staged", [False, True], ids=["table by table", "staged by family"])
def test_import_costs_a_constant_number_of_queries(monitor, alpha, area, monkeypatch, staged):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sentinelle.core import rollups

    # Both ways of keeping the roll-ups (core/rollups.py: from STAGE_FROM ids, each family staged once).
    monkeypatch.setattr(rollups, "STAGE_FROM", 1 if staged else 10**9)
    incident_import_many(actor=monitor, organisation=alpha, rows=_rows(area, 5, "warm-up"))
    counts = []
    for size in (20, 400):
        with CaptureQueriesContext(connection) as queries:
            incident_import_many(actor=monitor, organisation=alpha, rows=_rows(area, size, f"n{size}"))
        counts.append(len(queries))
    # Each table gets one prepared statement run for all its rows (executemany): no query per row; and
    # each roll-up one upsert for all the rows (on PostgreSQL, JIT off once); staged, each family one
    # temporary table made and dropped, and the planner's settings read, set and put back.
    tables = rollups.registered("incident")
    families = len({id(root) for root in rollups._families("incident", tables).values()})
    staging = 2 * families + 3 if staged else 0
    assert counts[0] == counts[1] <= 20 + len(tables) + 1 + staging


def test_one_bad_row_in_the_middle_writes_nothing(monitor, alpha, area):
    incident_import_many(actor=monitor, organisation=alpha, rows=_rows(area, 2, "before"))
    before = _state()
    rows = _rows(area, 9)
    rows[4].date_start = today().replace(year=today().year + 1)
    rows[6].categories = ["unknown-category"]
    with pytest.raises(ValidationError) as error:
        incident_import_many(actor=monitor, organisation=alpha, rows=rows)
    assert {"4.date_start", "6.categories"} <= set(error.value.message_dict)
    assert {key.split(".")[0] for key in error.value.message_dict} == {"4", "6"}
    assert _state() == before


def test_re_import_changes_nothing(monitor, alpha, area):
    first = incident_import_many(actor=monitor, organisation=alpha, rows=_rows(area, 12))
    counts = Incident.objects.count(), IncidentEvent.objects.count(), VictimCount.objects.count()
    again = incident_import_many(actor=monitor, organisation=alpha, rows=_rows(area, 12))
    assert (again.created, again.unchanged) == (0, 12)
    assert [i.pk for i in again.incidents] == [i.pk for i in first.incidents]
    assert (Incident.objects.count(), IncidentEvent.objects.count(), VictimCount.objects.count()) == counts


def test_partly_new_file_and_repeated_source_ids(monitor, alpha, area):
    incident_import_many(actor=monitor, organisation=alpha, rows=_rows(area, 3))
    rows = [*_rows(area, 5), _rows(area, 5)[4]]  # rows 3 and 4 new; the last repeats row 4
    result = incident_import_many(actor=monitor, organisation=alpha, rows=rows)
    assert (result.created, result.unchanged) == (2, 4)
    assert result.incidents[-1].pk == result.incidents[4].pk
    assert Incident.objects.count() == 5


def test_rows_without_source_id_are_always_created(monitor, alpha, area):
    rows = [incident_input(area), incident_input(area)]
    incident_import_many(actor=monitor, organisation=alpha, rows=rows)
    incident_import_many(actor=monitor, organisation=alpha, rows=rows)
    assert Incident.objects.count() == 4


def test_typed_details_in_bulk(caseworker_in_area, alpha, area):
    commune = commune_of(area)
    rows = [
        gbv_incident_input(commune, source_id="g"),
        violation_incident_input(area, source_id="v"),
        explosive_incident_input(area, source_id="e"),
    ]
    incident_import_many(actor=caseworker_in_area, organisation=alpha, rows=rows, submit=False)
    assert Incident.objects.filter(status="draft").count() == 3
    assert GBVIncident.objects.get().gbv_type == "rape"
    assert GraveViolation.objects.get().type == "killing"
    assert Casualty.objects.count() == 2


def test_a_monitors_gbv_allegations_import_and_survivor_details_are_refused_per_row(monitor, alpha, area):
    rows = [
        incident_input(area, source_id="a-1"),
        gbv_allegation_input(area, source_id="a-2"),
        gbv_incident_input(area, source_id="a-3"),
    ]
    before = _state()
    with pytest.raises(ValidationError) as error:
        incident_import_many(actor=monitor, organisation=alpha, rows=rows)
    # Row 2 (index 2) alone is refused, saying where survivor details belong; nothing is written.
    assert list(error.value.message_dict) == ["2.gbv"]
    assert "prestataire de services VBG" in error.value.message_dict["2.gbv"][0]
    assert _state() == before and not GBVIncident.objects.exists()

    result = incident_import_many(actor=monitor, organisation=alpha, rows=rows[:2])
    assert result.created == 2 and not GBVIncident.objects.exists()
    [alleged] = Incident.objects.filter(source_id="a-2")
    assert list(alleged.category_links.values_list("category", flat=True)) == ["gbv"]


def test_import_refusals_write_nothing(monitor, reader, focal_point, alpha, beta, area, segou):
    before = _state()
    with pytest.raises(PermissionDenied):
        incident_import_many(actor=reader, organisation=beta, rows=_rows(area, 2))
    with pytest.raises(PermissionDenied):
        incident_import_many(actor=focal_point, organisation=beta, rows=_rows(area, 2))
    with pytest.raises(PermissionDenied):
        incident_import_many(actor=monitor, organisation=beta, rows=_rows(area, 2))
    with pytest.raises(ValidationError) as error:
        incident_import_many(actor=monitor, organisation=alpha, rows=_rows(cercle_of(segou), 2))
    assert "0.area" in error.value.message_dict
    assert _state() == before


def test_imo_imports_for_any_organisation(imo, beta, area):
    result = incident_import_many(actor=imo, organisation=beta, rows=_rows(area, 3))
    assert result.created == 3
    assert set(Incident.objects.values_list("organisation__acronym", flat=True)) == {"BETA"}


def test_import_schedules_follow_ups_once(monitor, alpha, area, monkeypatch):
    called = []
    monkeypatch.setattr("sentinelle.monitoring.services.hooks.incidents_entered", called.append)
    result = incident_import_many(actor=monitor, organisation=alpha, rows=_rows(area, 4))
    assert called == [[i.pk for i in result.incidents]]
    incident_import_many(actor=monitor, organisation=alpha, rows=_rows(area, 4))
    assert len(called) == 1  # nothing new entered
