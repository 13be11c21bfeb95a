import datetime
import re
from dataclasses import replace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from sentinelle.core.models import AuditAction, AuditEntry
from sentinelle.monitoring.inputs import VictimCell
from sentinelle.monitoring.models import (
    GBVIncident,
    Incident,
    IncidentCategory,
    IncidentEvent,
    IncidentReferenceCounter,
    VictimCount,
)
from sentinelle.monitoring.services.incidents import (
    incident_find_by_source,
    incident_record,
    incident_reject,
    incident_submit,
    incident_update,
    incident_validate,
    incident_verify,
)
from sentinelle.monitoring.tests.factories import (
    casualty,
    cercle_of,
    days_ago,
    explosive_incident_input,
    explosive_input,
    gbv_allegation_input,
    gbv_incident_input,
    incident_input,
    make_incident,
    record_incident,
    today,
    victim,
    violation_incident_input,
    violation_input,
)


@pytest.fixture
def area(mopti):
    return cercle_of(mopti)


def _counts():
    return (
        Incident.objects.count(),
        IncidentEvent.objects.count(),
        IncidentCategory.objects.count(),
        VictimCount.objects.count(),
    )


# --- record -------------------------------------------------------------------------------------


def test_record_writes_incident_categories_victims_event_and_audit(monitor, area):
    incident = record_incident(monitor, area, categories=["life", "integrity"])
    assert re.fullmatch(rf"INC-{today().year}-\d{{6}}", incident.reference)
    assert incident.status == "draft"
    assert incident.organisation.acronym == "ALPHA"
    assert incident.created_by == monitor
    assert sorted(incident.category_links.values_list("category", flat=True)) == ["integrity", "life"]
    assert incident.victims_total == 2 and incident.killed_total == 2
    assert list(incident.events.values_list("kind", flat=True)) == ["created"]
    entry = AuditEntry.objects.filter(action=AuditAction.CREATE, object_id=str(incident.public_id)).get()
    assert "Récit" not in str(entry.detail)


def test_references_are_unique_and_sequential(monitor, area):
    first = record_incident(monitor, area)
    second = record_incident(monitor, area)
    assert int(second.reference[-6:]) == int(first.reference[-6:]) + 1


def test_record_and_submit(monitor, area):
    incident = record_incident(monitor, area, submit=True)
    assert incident.status == "submitted"
    assert incident.submitted_at is not None
    assert list(incident.events.values_list("kind", flat=True)) == ["created", "submitted"]


def test_account_and_coordinates_are_encrypted_at_rest(monitor, area):
    incident = record_incident(monitor, area, account="Nom du témoin: Awa", coordinates="14.49,-4.19")
    with connection.cursor() as cursor:
        cursor.execute("SELECT account, coordinates FROM monitoring_incident WHERE id = %s", [incident.pk])
        account, coordinates = cursor.fetchone()
    assert "Awa" not in account and "14.49" not in coordinates
    fresh = Incident.objects.get(pk=incident.pk)
    assert fresh.account == "Nom du témoin: Awa"
    assert fresh.coordinates == "14.49,-4.19"


def test_record_is_idempotent_by_source_id(monitor, area):
    first = record_incident(monitor, area, source_id="uuid:abc")
    before = _counts()
    again = record_incident(monitor, area, source_id="uuid:abc", summary="Autre texte")
    assert again.pk == first.pk
    assert again.summary == first.summary
    assert _counts() == before
    assert incident_find_by_source(organisation=first.organisation, source_id="uuid:abc") == first


def test_record_refused_to_reader_and_focal_point_changes_nothing(reader, focal_point, area):
    before = _counts()
    denials = AuditEntry.objects.filter(action=AuditAction.DENIED).count()
    for user in (reader, focal_point):
        with pytest.raises(PermissionDenied):
            record_incident(user, area)
    assert _counts() == before
    assert AuditEntry.objects.filter(action=AuditAction.DENIED).count() == denials + 2


def test_record_refused_for_another_organisation(monitor, beta, area):
    with pytest.raises(PermissionDenied):
        record_incident(monitor, area, organisation=beta)
    assert Incident.objects.count() == 0


def test_record_refused_outside_the_monitors_areas(monitor, segou):
    with pytest.raises(ValidationError) as error:
        record_incident(monitor, cercle_of(segou))
    assert "area" in error.value.message_dict
    assert Incident.objects.count() == 0


def test_gbv_incident_derives_type_context_and_delay(caseworker_in_area, area):
    data = gbv_incident_input(
        area,
        gbv={"survivor_age": 15, "answers": {"penetration": False, "sexual_contact": True}},
        date_start=days_ago(20),
        date_reported=days_ago(16),
        victims=[],
    )
    incident = incident_record(actor=caseworker_in_area, **vars(data))
    gbv = GBVIncident.objects.get(incident=incident)
    assert gbv.gbv_type == "sexual_assault"
    assert gbv.classification_answers == [["penetration", False], ["sexual_contact", True]]
    assert gbv.is_child_sexual_abuse and not gbv.is_intimate_partner_violence
    assert gbv.reporting_delay == "4_5_days"
    assert gbv.consent_to_report
    # No victims given: the survivor is the one victim.
    assert list(incident.victim_counts.values_list("outcome", "sex", "age_group", "count")) == [
        ("affected", "f", "12_17", 1)
    ]


def test_violation_and_explosive_details_are_written(monitor, area):
    incident = record_incident(
        monitor,
        area,
        data=violation_incident_input(area, violation_input("killing"), violation_input("attack_school")),
    )
    assert sorted(incident.violations.values_list("type", flat=True)) == ["attack_school", "killing"]
    blast = record_incident(monitor, area, data=explosive_incident_input(area))
    assert blast.explosive.device_type == "ied"
    assert sorted(blast.explosive.casualties.values_list("outcome", "age_group")) == [
        ("injured", "12_17"),
        ("killed", "18_59"),
    ]
    assert blast.killed_total == 1 and blast.victims_total == 2


def test_explosive_victims_derived_from_casualties(monitor, area):
    data = explosive_incident_input(
        area, victims=[], explosive=explosive_input(casualties=[casualty("killed")] * 3)
    )
    incident = record_incident(monitor, area, data=data)
    assert incident.killed_total == 3


# --- GBV: allegations and survivor details (issue 14, point 2) ------------------------------------


def test_a_monitors_gbv_allegation_is_recorded_without_survivor_details(monitor, area):
    incident = incident_record(actor=monitor, submit=True, **vars(gbv_allegation_input(area)))
    assert list(incident.category_links.values_list("category", flat=True)) == ["gbv"]
    assert not GBVIncident.objects.filter(incident=incident).exists()
    assert list(incident.victim_counts.values_list("outcome", "sex", "age_group", "count")) == [
        ("affected", "f", "unknown", 2)
    ]
    assert incident.status == "submitted" and incident.victims_total == 2
    assert (
        AuditEntry.objects.filter(action=AuditAction.CREATE, object_id=str(incident.public_id)).count() == 1
    )


def test_a_monitor_cannot_record_survivor_details_and_nothing_is_written(monitor, area):
    before = _counts(), AuditEntry.objects.filter(action=AuditAction.CREATE).count()
    with pytest.raises(ValidationError) as error:
        incident_record(actor=monitor, submit=True, **vars(gbv_incident_input(area)))
    [message] = error.value.message_dict["gbv"]
    assert "prestataire de services VBG" in message and "allégation" in message
    assert (_counts(), AuditEntry.objects.filter(action=AuditAction.CREATE).count()) == before
    assert not GBVIncident.objects.exists() and not IncidentReferenceCounter.objects.exists()


def test_a_monitor_cannot_add_survivor_details_to_an_allegation(monitor, area):
    incident = incident_record(actor=monitor, **vars(gbv_allegation_input(area)))
    before = _counts()
    with pytest.raises(ValidationError) as error:
        incident_update(actor=monitor, incident=incident, **vars(gbv_incident_input(area)))
    assert "gbv" in error.value.message_dict
    assert _counts() == before and not GBVIncident.objects.exists()
    assert list(incident.events.values_list("kind", flat=True)) == ["created"]


def test_survivor_details_on_record_are_never_dropped_by_someone_who_may_not_record_them(
    monitor, caseworker_in_area, area
):
    incident = incident_record(actor=caseworker_in_area, **vars(gbv_incident_input(area)))
    # As if the monitor had recorded it before survivor details were a GBV service provider's.
    Incident.objects.filter(pk=incident.pk).update(created_by=monitor)
    with pytest.raises(ValidationError) as error:
        incident_update(actor=monitor, incident=incident, **vars(gbv_allegation_input(area)))
    assert "prestataire de services VBG" in error.value.message_dict["gbv"][0]
    assert GBVIncident.objects.filter(incident=incident).exists()


def test_a_gbv_service_provider_records_an_allegation_or_the_survivors_record(caseworker_in_area, area):
    allegation = incident_record(actor=caseworker_in_area, **vars(gbv_allegation_input(area)))
    record = incident_record(actor=caseworker_in_area, **vars(gbv_incident_input(area)))
    assert not GBVIncident.objects.filter(incident=allegation).exists()
    assert GBVIncident.objects.get(incident=record).consent_to_report


# --- validation ---------------------------------------------------------------------------------


def _errors(data) -> dict:
    with pytest.raises(ValidationError) as error:
        incident_validate(data)
    return error.value.message_dict


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        # Dates as callables, read when the test runs: collected before midnight, run after it, "tomorrow"
        # would be today.
        (lambda: {"date_start": today() + datetime.timedelta(days=1)}, "date_start"),
        (lambda: {"date_reported": today() + datetime.timedelta(days=2)}, "date_reported"),
        (lambda: {"date_end": days_ago(20)}, "date_end"),
        (lambda: {"date_reported": days_ago(30)}, "date_reported"),
        ({"categories": []}, "categories"),
        ({"categories": ["war"]}, "categories"),
        ({"perpetrator_category": "bandit"}, "perpetrator_category"),
        ({"source_mechanism": "rumour"}, "source_mechanism"),
        ({"victims": [VictimCell("killed", "m", "18_59", -1)]}, "victims"),
        ({"victims": [VictimCell("dead", "m", "18_59", 1)]}, "victims"),
        ({"displaced_households": -3}, "displaced_households"),
        ({"displaced_households": 30, "displaced_individuals": 10}, "displaced_households"),
        ({"coordinates": "nowhere"}, "coordinates"),
        ({"categories": ["child_rights"]}, "violations"),
        ({"categories": ["explosive"]}, "explosive"),
        ({"explosive": explosive_input()}, "categories"),
        ({"reliability": "z"}, "reliability"),
    ],
)
def test_validation_messages(area, overrides, key):
    overrides = overrides() if callable(overrides) else overrides
    errors = _errors(incident_input(area, **overrides))
    assert key in errors
    assert all(message.strip() for message in errors[key])


def test_a_gbv_allegation_is_valid_without_survivor_details(area):
    assert incident_validate(gbv_allegation_input(area)) is None
    assert incident_validate(gbv_allegation_input(area, victims=[])) is None


def test_area_must_be_a_cercle_or_deeper(mopti):
    assert "area" in _errors(incident_input(mopti))


def test_gbv_validation(area):
    errors = _errors(gbv_incident_input(area, gbv={"answers": {"penetration": False}}))
    assert "gbv.answers" in errors
    errors = _errors(gbv_incident_input(area, gbv={"survivor_age": 200, "survivor_sex": "x"}))
    assert {"gbv.survivor_age", "gbv.survivor_sex"} <= set(errors)
    errors = _errors(gbv_incident_input(area, victims=[victim("affected", "f", "18_59", 2)]))
    assert "victims" in errors  # one survivor per GBV incident


def test_violation_validation(area):
    no_victim = violation_input("recruitment", victims=[])
    assert "violations" in _errors(violation_incident_input(area, no_victim))
    adult = violation_input("killing", victims=[replace(violation_input().victims[0], age_group="18_59")])
    assert "violations" in _errors(violation_incident_input(area, adult))


def test_explosive_casualties_cannot_exceed_victims(area):
    data = explosive_incident_input(area, victims=[victim("killed", "m", "18_59", 1)])
    assert "explosive.casualties" in _errors(data)


# --- update -------------------------------------------------------------------------------------


def test_update_records_changed_fields_without_confidential_values(monitor, area):
    incident = record_incident(monitor, area)
    data = incident_input(
        area,
        summary="Trois civils tués.",
        account="Nouveau récit secret",
        victims=[victim("killed", "m", "18_59", 3)],
    )
    updated = incident_update(actor=monitor, incident=incident, **vars(data))
    assert updated.killed_total == 3
    event = updated.events.get(kind="updated")
    assert event.changes["summary"][1] == "Trois civils tués."
    assert event.changes["account"] == ["…", "…"]
    assert "secret" not in str(event.changes)
    assert event.changes["victims"] == [["killed/m/18_59: 2"], ["killed/m/18_59: 3"]]
    assert updated.victim_counts.get().count == 3
    entry = AuditEntry.objects.filter(action=AuditAction.UPDATE).latest("id")
    assert "secret" not in str(entry.detail)


def test_update_without_change_writes_nothing(monitor, area):
    incident = record_incident(monitor, area)
    before = _counts()
    incident_update(actor=monitor, incident=incident, **vars(incident_input(area)))
    assert _counts() == before


def test_monitor_cannot_update_a_submitted_incident_and_nothing_changes(monitor, area):
    incident = record_incident(monitor, area, submit=True)
    with pytest.raises(PermissionDenied):
        incident_update(actor=monitor, incident=incident, **vars(incident_input(area, summary="X")))
    incident.refresh_from_db()
    assert incident.summary != "X"
    assert incident.events.count() == 2


def test_manager_updates_a_submitted_incident(monitor, manager, area):
    incident = record_incident(monitor, area, submit=True)
    updated = incident_update(
        actor=manager, incident=incident, **vars(incident_input(area, summary="Corrigé"))
    )
    assert updated.summary == "Corrigé" and updated.status == "submitted"


def test_update_gbv_detail_changes_the_type(caseworker_in_area, area):
    incident = incident_record(actor=caseworker_in_area, **vars(gbv_incident_input(area)))
    data = gbv_incident_input(
        area, gbv={"answers": {"penetration": False, "sexual_contact": False, "physical_assault": True}}
    )
    incident_update(actor=caseworker_in_area, incident=incident, **vars(data))
    assert GBVIncident.objects.get(incident=incident).gbv_type == "physical_assault"
    assert incident.events.get(kind="updated").changes["gbv.gbv_type"] == ["rape", "physical_assault"]


# --- workflow -----------------------------------------------------------------------------------


def test_submit_verify_timeline(monitor, imo, area):
    incident = record_incident(monitor, area)
    incident_submit(actor=monitor, incident=incident)
    incident_verify(actor=imo, incident=incident)
    incident.refresh_from_db()
    assert incident.status == "verified"
    assert incident.reviewed_by == imo and incident.reviewed_at is not None
    assert list(incident.events.values_list("kind", flat=True)) == ["created", "submitted", "verified"]


def test_reject_needs_a_reason_and_keeps_it(monitor, manager, area):
    incident = record_incident(monitor, area, submit=True)
    with pytest.raises(ValidationError) as error:
        incident_reject(actor=manager, incident=incident, reason="  ")
    assert "reason" in error.value.message_dict
    incident_reject(actor=manager, incident=incident, reason="Événement hors zone.")
    incident.refresh_from_db()
    assert incident.status == "rejected"
    assert incident.rejection_reason == "Événement hors zone."
    assert incident.events.get(kind="rejected").note == "Événement hors zone."


def test_wrong_transitions_raise_validation_errors(monitor, manager, imo, area):
    draft = record_incident(monitor, area)
    with pytest.raises(ValidationError):
        incident_verify(actor=manager, incident=draft)
    with pytest.raises(PermissionDenied):  # drafts stay with their organisation: not even the IMO
        incident_verify(actor=imo, incident=draft)
    submitted = make_incident(actor=monitor, area=area, status="submitted")
    with pytest.raises(ValidationError):
        incident_submit(actor=manager, incident=submitted)
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_review_refusals_change_nothing(monitor, caseworker_in_area, outsider, area):
    incident = record_incident(monitor, area, submit=True)
    for user in (monitor, caseworker_in_area, outsider):
        with pytest.raises(PermissionDenied):
            incident_verify(actor=user, incident=incident)
        with pytest.raises(PermissionDenied):
            incident_reject(actor=user, incident=incident, reason="Non.")
    incident.refresh_from_db()
    assert incident.status == "submitted" and incident.reviewed_by is None
    assert incident.events.count() == 2


def test_monitor_cannot_submit_someone_elses_draft(monitor, caseworker_in_area, area):
    incident = record_incident(caseworker_in_area, area)
    with pytest.raises(PermissionDenied):
        incident_submit(actor=monitor, incident=incident)
    incident.refresh_from_db()
    assert incident.status == "draft"


def test_rejected_incident_corrected_and_submitted_again_by_manager(monitor, manager, area):
    incident = make_incident(actor=monitor, area=area, status="rejected", reviewer=manager)
    incident_submit(actor=manager, incident=incident)
    incident.refresh_from_db()
    assert incident.status == "submitted" and incident.rejection_reason == ""


def test_submit_schedules_the_follow_ups(monitor, area, django_capture_on_commit_callbacks, monkeypatch):
    called = []
    monkeypatch.setattr(
        "sentinelle.monitoring.services.hooks.incidents_entered", lambda ids: called.append(list(ids))
    )
    incident = record_incident(monitor, area)
    assert called == []
    incident_submit(actor=monitor, incident=incident)
    assert called == [[incident.pk]]
