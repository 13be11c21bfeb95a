"""_bulk.create_many: typed details written by COPY with reserved ids (PostgreSQL) are stored exactly as the
ORM's bulk_create stores them, and their children point at the right parents."""

import pytest
from django.forms.models import model_to_dict

from sentinelle.monitoring.models import Casualty, GBVIncident, GraveViolation, Incident, ViolationVictims
from sentinelle.monitoring.services import _bulk
from sentinelle.monitoring.services._incident_rows import _relink, build_rows
from sentinelle.monitoring.tests.factories import (
    cercle_of,
    commune_of,
    explosive_incident_input,
    gbv_incident_input,
    make_incident,
    violation_incident_input,
    violation_input,
)

pytestmark = pytest.mark.django_db


def _stored(model, pk) -> dict:
    """A stored row's values, without what differs by construction (its id, its parents' ids, the
    secret record key drawn by the database)."""
    values = model_to_dict(model.objects.get(pk=pk))
    for name in ("id", "incident", "violation", "accident", "record_key"):
        values.pop(name, None)
    return values


def _details(monitor, mopti):
    """Typed details built (unsaved) from the same inputs twice, for two incidents each (a GBV record or
    an explosive accident is one per incident)."""
    area = cercle_of(mopti)
    inputs = [
        gbv_incident_input(commune_of(area)),
        violation_incident_input(area, violation_input("killing"), violation_input("maiming")),
        explosive_incident_input(area),
    ]
    built = []
    for data in inputs:
        mine, theirs = (make_incident(actor=monitor, area=area) for _ in range(2))
        built.append((build_rows(mine, data), build_rows(theirs, data)))
    return built


def test_details_written_by_copy_are_stored_as_the_orm_stores_them(monitor, mopti, monkeypatch):
    monkeypatch.setattr(_bulk, "COPY_FROM", 1)  # a few rows here: COPY them all the same
    built = _details(monitor, mopti)
    ours = [mine for mine, _theirs in built]
    orm = [theirs for _mine, theirs in built]
    before = (GBVIncident.objects.count(), GraveViolation.objects.count(), Casualty.objects.count())

    for rows_list, write in ((ours, _bulk.create_many), (orm, _objects_bulk_create)):
        gbv = [rows.gbv for rows in rows_list if rows.gbv is not None]
        violations = [v for rows in rows_list for v, _cells in rows.violations]
        accidents = [rows.explosive[0] for rows in rows_list if rows.explosive is not None]
        for objects in (gbv, violations, accidents):
            _relink(objects, "incident")
            write(objects)
        cells = [c for rows in rows_list for _v, cs in rows.violations for c in cs]
        casualties = [c for rows in rows_list if rows.explosive is not None for c in rows.explosive[1]]
        _relink(cells, "violation")
        _relink(casualties, "accident")
        write(cells)
        write(casualties)

    assert (GBVIncident.objects.count(), GraveViolation.objects.count(), Casualty.objects.count()) == (
        before[0] + 2,
        before[1] + 4,
        before[2] + 4,
    )
    for mine, theirs in zip(ours, orm, strict=True):
        if mine.gbv is not None:
            assert mine.gbv.pk and mine.gbv.pk != theirs.gbv.pk
            assert _stored(GBVIncident, mine.gbv.pk) == _stored(GBVIncident, theirs.gbv.pk)
            assert GBVIncident.objects.get(pk=mine.gbv.pk).incident_id == mine.incident.pk
        for (violation, cells), (their_violation, their_cells) in zip(
            mine.violations, theirs.violations, strict=True
        ):
            assert _stored(GraveViolation, violation.pk) == _stored(GraveViolation, their_violation.pk)
            # Each child row points at its own parent, whose id was reserved before it was written.
            stored_cells = ViolationVictims.objects.filter(violation_id=violation.pk)
            assert sorted((c.sex, c.age_group, c.count) for c in stored_cells) == sorted(
                (c.sex, c.age_group, c.count) for c in their_cells
            )
            assert {c.pk for c in cells} == {c.pk for c in stored_cells}
        if mine.explosive is not None:
            accident, casualties = mine.explosive
            assert Casualty.objects.filter(accident_id=accident.pk).count() == len(casualties) == 2
            assert [_stored(Casualty, c.pk) for c in casualties] == [
                _stored(Casualty, c.pk) for c in theirs.explosive[1]
            ]
    # The database drew the secret record keys, as for rows the ORM writes.
    assert not GraveViolation.objects.filter(record_key__isnull=True).exists()
    assert not Casualty.objects.filter(record_key__isnull=True).exists()


def _objects_bulk_create(objects):
    if objects:
        type(objects[0]).objects.bulk_create(objects)


def test_reserved_ids_are_new_and_distinct(monitor, mopti):
    if _bulk.connection.vendor != "postgresql":
        pytest.skip("ids are reserved from PostgreSQL's sequences; SQLite's bulk_create returns them")
    make_incident(actor=monitor, area=cercle_of(mopti))
    highest = Incident.objects.order_by("-pk").values_list("pk", flat=True).first()
    first, second = _bulk.reserve_ids(Incident, 50), _bulk.reserve_ids(Incident, 50)
    assert len(set(first) | set(second)) == 100
    assert min(first + second) > highest
    assert _bulk.reserve_ids(Incident, 0) == []
