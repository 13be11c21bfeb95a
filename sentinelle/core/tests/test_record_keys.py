"""Record keys (core/record_keys.py): every counted record gets one from the database, whatever the path
that wrote it; they are spread over the whole range, never shown, and survive backup and restore.

Paths: the incident service (the web form), the bulk import (monitoring/services/_bulk.py: prepared
INSERTs on SQLite, COPY on PostgreSQL), the bench generator's clones (bench/generate.py), the case and
4W factories (the ORM); OpenRosa submissions have their own test (ingest/openrosa/tests).
"""

import io
import types
import uuid

import pytest
from django.core.management import call_command

from sentinelle.activities.models import Activity, TrainingParticipants
from sentinelle.activities.tests.factories_results import make_activity, make_training
from sentinelle.cases.models import Case, Referral
from sentinelle.cases.tests.factories_cases import consent_for, make_case, make_referral, make_service
from sentinelle.core.datasets import Filters, all_datasets
from sentinelle.core.record_keys import KEY_RANGE
from sentinelle.monitoring.models import Casualty, GBVIncident, GraveViolation, Incident, VictimCount
from sentinelle.monitoring.services.incidents import incident_import_many
from sentinelle.monitoring.tests.factories import (
    cercle_of,
    explosive_incident_input,
    gbv_incident_input,
    incident_input,
    make_incident,
    violation_incident_input,
)

pytestmark = pytest.mark.django_db

KEYED = (
    Incident,
    VictimCount,
    GBVIncident,
    GraveViolation,
    Casualty,
    Case,
    Referral,
    Activity,
    TrainingParticipants,
)


def keys_of(model) -> list[int]:
    return list(model.objects.values_list("record_key", flat=True))


def assert_keyed(model, at_least: int = 1) -> None:
    keys = keys_of(model)
    assert len(keys) >= at_least, model
    assert all(key is not None and 0 <= key < KEY_RANGE for key in keys), model


def test_every_counted_model_has_a_record_key_and_every_dataset_declares_whether_it_is_perturbed():
    for model in KEYED:
        assert model._meta.get_field("record_key").has_db_default(), model
    for dataset in all_datasets():
        # A dataset that says nothing fails here: every new dataset must decide.
        assert dataset.perturbed in (True, False), dataset.name
        base = dataset.base(Filters()).model
        has_keys = any(field.name == "record_key" for field in base._meta.concrete_fields)
        assert dataset.perturbed is has_keys, dataset.name


def test_records_written_through_the_services_get_keys(monitor, caseworker_in_area, imo, mopti):
    cercle = cercle_of(mopti)
    make_incident(actor=monitor, area=cercle, status="verified", reviewer=imo)
    make_incident(actor=caseworker_in_area, area=cercle, status="submitted", data=gbv_incident_input(cercle))
    make_incident(actor=monitor, area=cercle, status="submitted", data=violation_incident_input(cercle))
    make_incident(actor=monitor, area=cercle, status="submitted", data=explosive_incident_input(cercle))
    for model in (Incident, VictimCount, GBVIncident, GraveViolation, Casualty):
        assert_keyed(model)


def test_records_of_a_bulk_import_get_keys_spread_over_the_range(admin, alpha, mopti):
    cercle = cercle_of(mopti)
    rows = [incident_input(cercle, summary=f"Incident {index}.") for index in range(200)]
    incident_import_many(actor=admin, organisation=alpha, rows=rows, follow_up=False)
    keys = keys_of(Incident)
    assert len(keys) == 200 and all(0 <= key < KEY_RANGE for key in keys)
    # Drawn at random: not all equal, and spread (200 draws from 4096 hardly ever give fewer than 150).
    assert len(set(keys)) > 150
    assert_keyed(VictimCount, 200)


def test_cases_referrals_activities_and_trainings_get_keys(
    caseworker_in_area, beta, focal_point, alpha, mopti
):
    from sentinelle.monitoring.tests.factories import commune_of

    commune = commune_of(cercle_of(mopti))
    service = make_service(beta, commune, "health", focal_points=[focal_point])
    for index in range(3):
        case = make_case(caseworker_in_area, commune, given_name=f"A{index}")
        consent_for(caseworker_in_area, case, organisations=[beta])
        make_referral(caseworker_in_area, case, service)
    make_activity(alpha, cercle_of(mopti), beneficiaries=[("f", "18_59", "idp", 3)])
    make_training(alpha, cercle_of(mopti), participants=[("police", "m", 5)])
    for model in (Case, Referral, Activity, TrainingParticipants):
        assert_keyed(model)


def test_the_bench_generators_clones_get_their_own_keys(admin, alpha, mopti):
    from bench.generate import Generator

    cercle = cercle_of(mopti)
    incident_import_many(actor=admin, organisation=alpha, rows=[incident_input(cercle)], follow_up=False)
    template = Incident.objects.get()
    # The generator's clone, as it copies the demo's incidents (its other state is not needed here).
    generator = types.SimpleNamespace(uuid=uuid.uuid4)
    clones = [Generator.clone(generator, template, reference=f"BENCH-{index}") for index in range(200)]
    created = Incident.objects.bulk_create(clones)
    keys = list(Incident.objects.filter(pk__in=[c.pk for c in created]).values_list("record_key", flat=True))
    assert len(set(keys)) > 150 and template.record_key in range(KEY_RANGE)


@pytest.mark.django_db(transaction=True)
def test_keys_survive_backup_and_restore(admin, alpha, mopti, tmp_path):
    cercle = cercle_of(mopti)
    rows = [incident_input(cercle, summary=f"Incident {index}.") for index in range(20)]
    incident_import_many(actor=admin, organisation=alpha, rows=rows, follow_up=False)
    before = dict(Incident.objects.values_list("public_id", "record_key"))
    dest = tmp_path / "backup"
    call_command("backup", str(dest), stdout=io.StringIO())
    Incident.objects.update(record_key=0)
    call_command("restore", str(dest), "--force", stdout=io.StringIO())
    assert dict(Incident.objects.values_list("public_id", "record_key")) == before
