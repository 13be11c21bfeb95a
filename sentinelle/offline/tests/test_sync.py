"""The sync: every kind of change through its service, once, with conflicts per field and the device in
the audit log."""

import datetime

import pytest
from django.utils import timezone
from django.utils.translation import gettext

from sentinelle.cases.models import (
    Assessment,
    CaseNote,
    CasePlanAction,
    Consent,
    FieldVersion,
    FollowUp,
    Person,
    Task,
)
from sentinelle.cases.services.cases import case_assign, case_plan_save, note_add
from sentinelle.cases.services.persons import person_update
from sentinelle.cases.tests.factories_cases import assessed_and_planned, make_case, plan_actions
from sentinelle.core.models import AuditEntry, AuditOutcome
from sentinelle.offline.models import ChangeStatus, OfflineChange
from sentinelle.offline.services import sync as sync_module
from sentinelle.offline.tests.factories import change

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today


def _day(days_ago=0) -> str:
    return (timezone.localdate() - datetime.timedelta(days=days_ago)).isoformat()


# --- Each kind through its service ---------------------------------------------------------------------


def test_a_follow_up_recorded_offline_is_applied_through_the_service_with_the_device_in_the_audit(
    worker, tablet, case, sync
):
    recorded = timezone.now() - datetime.timedelta(hours=30)
    sent = change(
        "follow_up", case, recorded_at=recorded, date=_day(), kind="visit", notes="Visite à domicile."
    )

    [answer] = sync(worker, tablet, sent)

    assert answer["status"] == "applied" and answer["case"] == str(case.public_id)
    follow_up = FollowUp.objects.get(case=case)
    assert (
        follow_up.kind == "visit"
        and follow_up.notes == "Visite à domicile."
        and follow_up.created_by == worker
    )
    entry = AuditEntry.objects.filter(object_id=str(case.public_id), detail__event="follow_up_recorded").get()
    assert entry.detail["device"] == str(tablet.public_id)
    assert entry.detail["offline_at"] == recorded.isoformat()
    stored = OfflineChange.objects.get(change_id=sent["change_id"])
    assert stored.status == ChangeStatus.APPLIED and stored.case == case and stored.device == tablet
    assert stored.applied_at is not None and stored.answer == answer


def test_a_note_is_added_through_the_service(worker, tablet, case, sync):
    [answer] = sync(worker, tablet, change("note", case, text="Appel de la mère."))

    assert answer["status"] == "applied"
    assert [note.text for note in CaseNote.objects.filter(case=case)] == ["Appel de la mère."]


def test_a_task_done_offline_is_completed_through_the_service(worker, tablet, case, sync):
    task = Task.objects.get(case=case, done_on__isnull=True)

    [answer] = sync(worker, tablet, change("task_done", case, task=str(task.public_id), done_on=_day()))

    assert answer["status"] == "applied"
    task.refresh_from_db()
    assert task.done_on == timezone.localdate() and task.updated_by == worker


def test_a_task_done_on_the_server_meanwhile_is_refused_with_the_services_reason(worker, tablet, case, sync):
    task = Task.objects.get(case=case, done_on__isnull=True)
    Task.objects.filter(pk=task.pk).update(done_on=timezone.localdate())

    [answer] = sync(worker, tablet, change("task_done", case, task=str(task.public_id)))

    assert answer["status"] == "refused" and answer["message"] == "Cette tâche est déjà faite."


def test_an_assessment_is_recorded_through_the_service_and_bumps_the_risk_version(worker, tablet, case, sync):
    sent = change(
        "assessment",
        case,
        base_versions={"case.risk_level": 0},
        risk_level="high",
        assessed_on=_day(),
        needs=["health", "pss"],
        summary="Risque élevé.",
    )

    [answer] = sync(worker, tablet, sent)

    assert answer["status"] == "applied"
    assessment = Assessment.objects.get(case=case)
    assert assessment.risk_level == "high" and assessment.needs == ["health", "pss"]
    case.refresh_from_db()
    assert case.risk_level == "high"
    assert FieldVersion.objects.get(record_type="case", record_id=case.pk, field="risk_level").version == 1


def test_a_plan_action_done_offline_goes_through_the_service(worker, tablet, case, sync):
    plan = assessed_and_planned(worker, case)
    action = plan.actions.get()

    [answer] = sync(worker, tablet, change("plan_action_done", case, action=str(action.pk), done_on=_day()))

    assert answer["status"] == "applied"
    action.refresh_from_db()
    assert action.done_on == timezone.localdate()
    assert AuditEntry.objects.filter(detail__event="plan_action_done", detail__device=str(tablet.public_id))


def test_an_action_of_a_replaced_plan_is_refused(worker, tablet, case, sync, alpha):
    plan = assessed_and_planned(worker, case)
    old = plan.actions.get()
    case_plan_save(actor=worker, case=case, goals="Nouveau plan.", actions=plan_actions("legal"))

    [answer] = sync(worker, tablet, change("plan_action_done", case, action=str(old.pk)))

    assert answer["status"] == "refused" and answer["message"] == gettext(
        "This action is no longer in the case plan."
    )
    assert not CasePlanAction.objects.filter(done_on__isnull=False).exists()


def test_a_consent_is_recorded_for_the_case_and_its_person(worker, tablet, case, sync):
    sent = change("consent", case, purpose="referral", given_by="caregiver", given_on=_day())

    [answer] = sync(worker, tablet, sent)

    assert answer["status"] == "applied"
    consent = Consent.objects.get(case=case)
    assert consent.person == case.person and consent.purpose == "referral" and consent.given_by == "caregiver"


def test_contact_details_changed_offline_are_saved_through_the_service(worker, tablet, case, sync):
    sent = change("person_update", case, phone="76 00 11 22", address="Quartier Hamdallaye")

    [answer] = sync(worker, tablet, sent)

    assert answer["status"] == "applied"
    person = Person.objects.get(pk=case.person_id)
    assert person.phone == "76 00 11 22" and person.address == "Quartier Hamdallaye"
    versions = dict(
        FieldVersion.objects.filter(record_type="person", record_id=person.pk).values_list("field", "version")
    )
    assert versions == {"phone": 1, "address": 1}


# --- Once, and only once -----------------------------------------------------------------------------


def test_a_change_sent_twice_is_applied_once_and_answers_the_same(worker, tablet, case, sync):
    sent = change("follow_up", case, date=_day(), kind="call")

    first, again = sync(worker, tablet, sent, sent)
    [later] = sync(worker, tablet, sent)

    assert FollowUp.objects.filter(case=case).count() == 1
    assert first["status"] == "applied" and again == first and later == first
    assert OfflineChange.objects.filter(change_id=sent["change_id"]).count() == 1


def test_two_requests_carrying_the_same_change_at_once_apply_it_once(worker, tablet, case, sync, monkeypatch):
    """Both requests read "not seen yet" before either stored it: the unique change id refuses the second
    insert, its transaction rolls back, and it answers what the first stored."""
    sent = change("note", case, text="Une seule fois.")
    [first] = sync(worker, tablet, sent)
    monkeypatch.setattr(sync_module, "_stored", _seen_only_after_insert(sync_module._stored))

    [second] = sync(worker, tablet, sent)

    assert second == first
    assert CaseNote.objects.filter(case=case).count() == 1
    assert OfflineChange.objects.filter(change_id=sent["change_id"]).count() == 1


def _seen_only_after_insert(stored):
    calls = []

    def lookup(change_id):
        calls.append(change_id)
        return None if len(calls) == 1 else stored(change_id)

    return lookup


def test_a_change_id_of_someone_else_tells_nothing_and_writes_nothing(worker, tablet, case, sync, colleague):
    sent = change("note", case, text="Note confidentielle.")
    sync(worker, tablet, sent)
    from sentinelle.offline.services import offline_device_enrol

    other_device, _secret = offline_device_enrol(actor=colleague, label="Autre")
    [answer] = sync(colleague, other_device, sent)

    assert answer["status"] == "refused" and answer["case"] == "" and "Note" not in answer["message"]
    assert CaseNote.objects.filter(case=case).count() == 1


def test_a_change_that_cannot_be_read_is_refused_and_not_stored(worker, tablet, case, sync):
    broken = change("follow_up", case, date=_day(), kind="visit")
    broken["kind"] = "teleport"
    no_id = change("note", case, text="x")
    no_id["change_id"] = "pas-un-uuid"

    answers = sync(worker, tablet, broken, no_id)

    assert [answer["status"] for answer in answers] == ["refused", "refused"]
    assert answers[0]["change_id"] == broken["change_id"]
    assert not OfflineChange.objects.exists() and not FollowUp.objects.exists()


# --- Refused by the policy or the validation ----------------------------------------------------------


def test_a_change_the_user_may_no_longer_make_is_refused_stored_and_writes_nothing(
    worker, tablet, colleague, commune, sync
):
    """Assigned to the colleague's case when the device took it, removed since: the policy refuses."""
    theirs = make_case(colleague, commune, given_name="Mariam")
    case_assign(actor=colleague, case=theirs, collaborators=[worker])
    case_assign(actor=colleague, case=theirs, collaborators=[])
    sent = change("note", theirs, text="Écrit hors ligne.")

    [answer] = sync(worker, tablet, sent)
    [again] = sync(worker, tablet, sent)

    assert (
        answer["status"] == "refused"
        and answer["message"] == "Vous n'êtes pas autorisé à faire cela sur ce dossier."
    )
    assert again == answer
    assert not CaseNote.objects.filter(case=theirs).exists()
    assert OfflineChange.objects.get(change_id=sent["change_id"]).status == ChangeStatus.REFUSED
    denied = AuditEntry.objects.filter(outcome=AuditOutcome.DENIED, user=worker).get()
    assert denied.detail["device"] == str(tablet.public_id)


def test_invalid_values_are_refused_with_the_services_messages_by_field(worker, tablet, case, sync):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    sent = change("follow_up", case, date=tomorrow, kind="carrier_pigeon")

    [answer] = sync(worker, tablet, sent)

    assert answer["status"] == "refused"
    assert answer["errors"]["date"] == ["Cette date est dans le futur."]
    assert answer["errors"]["kind"] == ["Valeur inconnue : carrier_pigeon."]
    assert "Cette date est dans le futur." in answer["message"]
    assert not FollowUp.objects.exists()


def test_a_change_on_a_closed_case_is_refused(worker, tablet, case, sync):
    from sentinelle.cases.services.cases import case_close

    case_close(actor=worker, case=case, reason="needs_met")

    [answer] = sync(worker, tablet, change("follow_up", case, date=_day(), kind="visit"))

    assert answer["status"] == "refused" and "clôturé" in answer["message"]
    assert not FollowUp.objects.exists()


# --- Conflicts, field by field --------------------------------------------------------------------------


def test_the_same_field_changed_on_the_server_and_the_device_is_a_conflict_nothing_overwritten(
    worker, tablet, case, sync, manager
):
    person_update(actor=manager, person=case.person, phone="66 00 00 01")
    sent = change(
        "person_update",
        case,
        base_versions={"person.phone": 0, "person.address": 0},
        phone="76 99 99 99",
        address="Près du marché",
    )

    [answer] = sync(worker, tablet, sent)

    assert answer["status"] == "conflict"
    [conflict] = answer["conflicts"]
    assert conflict == {
        "field": "person.phone",
        "label": "Téléphone",
        "server": "66 00 00 01",
        "device": "76 99 99 99",
        "server_version": 1,
    }
    person = Person.objects.get(pk=case.person_id)
    assert person.phone == "66 00 00 01"  # never last-write-wins
    assert person.address == "Près du marché"  # the other field merged
    assert "Adresse" in answer["message"]
    assert OfflineChange.objects.get(change_id=sent["change_id"]).status == ChangeStatus.CONFLICT


def test_the_worker_resolves_a_conflict_with_a_new_change_based_on_the_servers_version(
    worker, tablet, case, sync, manager
):
    person_update(actor=manager, person=case.person, phone="66 00 00 01")
    [conflicted] = sync(worker, tablet, change("person_update", case, phone="76 99 99 99"))
    version = conflicted["conflicts"][0]["server_version"]

    [answer] = sync(
        worker,
        tablet,
        change("person_update", case, base_versions={"person.phone": version}, phone="76 99 99 99"),
    )

    assert answer["status"] == "applied"
    assert Person.objects.get(pk=case.person_id).phone == "76 99 99 99"


def test_fields_changed_on_one_side_only_merge_silently(worker, tablet, case, sync, manager):
    person_update(actor=manager, person=case.person, phone="66 00 00 01")
    sent = change("person_update", case, base_versions={"person.address": 0}, address="Sévaré")

    [answer] = sync(worker, tablet, sent)

    assert answer["status"] == "applied" and answer["conflicts"] == []
    person = Person.objects.get(pk=case.person_id)
    assert (person.phone, person.address) == ("66 00 00 01", "Sévaré")


def test_the_same_value_on_both_sides_is_no_conflict(worker, tablet, case, sync, manager):
    person_update(actor=manager, person=case.person, phone="66 00 00 01")

    [answer] = sync(worker, tablet, change("person_update", case, phone="66 00 00 01"))

    assert answer["status"] == "applied" and answer["conflicts"] == []


def test_an_assessment_whose_risk_changed_on_the_server_is_a_conflict_and_records_nothing(
    worker, tablet, case, sync, manager
):
    from sentinelle.cases.services.cases import assessment_record

    assessment_record(actor=manager, case=case, risk_level="medium")
    sent = change("assessment", case, base_versions={"case.risk_level": 0}, risk_level="low", needs=["pss"])

    [answer] = sync(worker, tablet, sent)

    assert answer["status"] == "conflict"
    assert answer["conflicts"][0]["field"] == "case.risk_level"
    assert (answer["conflicts"][0]["server"], answer["conflicts"][0]["device"]) == ("medium", "low")
    assert Assessment.objects.filter(case=case).count() == 1
    case.refresh_from_db()
    assert case.risk_level == "medium"


def test_a_version_bumps_only_when_the_value_changes(worker, case):
    from sentinelle.cases.services.cases import assessment_record

    assessment_record(actor=worker, case=case, risk_level="high")
    assessment_record(actor=worker, case=case, risk_level="high")
    person_update(actor=worker, person=case.person, phone="")  # unchanged: nothing written
    note_add(actor=worker, case=case, text="Rien de versionné.")

    assert list(FieldVersion.objects.values_list("record_type", "field", "version")) == [
        ("case", "risk_level", 1)
    ]


# --- Stored answers past any resend ------------------------------------------------------------------


def test_stored_conflict_answers_are_cut_to_their_status_once_no_device_can_resend(
    worker, tablet, case, sync, manager
):
    person_update(actor=manager, person=case.person, phone="66 00 00 01")
    sent = change("person_update", case, base_versions={"person.phone": 0}, phone="76 99 99 99")
    [first] = sync(worker, tablet, sent)
    assert first["conflicts"]
    recent = OfflineChange.objects.get(change_id=sent["change_id"])

    assert sync_module.offline_answers_prune() == 0  # a device may still resend it: kept whole
    assert OfflineChange.objects.get(pk=recent.pk).answer == first

    later = timezone.now() + datetime.timedelta(days=7 + sync_module.PRUNE_MARGIN_DAYS + 1)
    assert sync_module.offline_answers_prune(now=later) == 1
    kept = OfflineChange.objects.get(pk=recent.pk).answer
    assert kept["status"] == "conflict" and kept["conflicts"] == [] and kept["case"] == first["case"]
    assert "76 99 99 99" not in OfflineChange.objects.get(pk=recent.pk).result
    assert "66 00 00 01" not in OfflineChange.objects.get(pk=recent.pk).result
    assert sync_module.offline_answers_prune(now=later) == 0  # once

    [again] = sync(worker, tablet, sent)  # a late resend still writes nothing
    assert again["status"] == "conflict"
    assert Person.objects.get(pk=case.person_id).phone == "66 00 00 01"
