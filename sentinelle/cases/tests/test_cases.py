"""Cases through the six steps: opening, assessment, plan and approvals, follow-up, tasks, notes,
collaborators, transfers, closure and reopening; refusals change nothing."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from sentinelle.accounts.tests.factories import OrganisationFactory, make_member
from sentinelle.cases.models import (
    Approval,
    Case,
    CaseNote,
    CasePlan,
    CaseStatus,
    Task,
    TaskKind,
    Transfer,
)
from sentinelle.cases.selectors.cases import case_get, case_list
from sentinelle.cases.services.cases import (
    approval_decide,
    assessment_record,
    case_assign,
    case_close,
    case_open,
    case_plan_save,
    case_plan_submit_for_approval,
    case_reopen,
    follow_up_record,
    note_add,
    task_add,
    task_complete,
    transfer_accept,
    transfer_decline,
    transfer_request,
)
from sentinelle.cases.tests.factories_cases import commune_in, consent_for, make_case, plan_actions, register
from sentinelle.core.models import AuditAction, AuditEntry, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def commune(mopti):
    return commune_in(mopti, "Douentza")


@pytest.fixture
def case(caseworker_in_area, commune):
    return make_case(caseworker_in_area, commune)


def today():
    return timezone.localdate()


def test_opening_a_case_makes_the_actor_its_case_worker_and_schedules_the_assessment(
    caseworker_in_area, commune
):
    case = make_case(caseworker_in_area, commune, risk_level="high", protection_concerns=["gbv_survivor"])
    assert case.case_number.startswith(f"CAS-{today().year}-")
    assert case.owner == caseworker_in_area
    assert case.organisation.acronym == "ALPHA"
    assert case.area == commune
    [task] = Task.objects.filter(case=case)
    assert task.kind == TaskKind.ASSESSMENT
    assert task.due_on == today() + datetime.timedelta(days=1)
    entry = AuditEntry.objects.filter(action=AuditAction.CREATE, object_id=str(case.public_id)).get()
    assert entry.detail["case_number"] == case.case_number
    assert "Aminata" not in str(entry.detail)


@pytest.mark.parametrize("risk, days", [("", 3), ("medium", 3), ("low", 7)])
def test_assessment_deadline_follows_the_risk_level(caseworker_in_area, commune, risk, days):
    case = make_case(caseworker_in_area, commune, risk_level=risk)
    assert case.tasks.get().due_on == today() + datetime.timedelta(days=days)


def test_response_deadlines_are_configurable(settings, caseworker_in_area, commune):
    settings.SENTINELLE = {**settings.SENTINELLE, "RESPONSE_DEADLINES": {"high": 2}}
    case = make_case(caseworker_in_area, commune, risk_level="high")
    assert case.tasks.get().due_on == today() + datetime.timedelta(days=2)


@pytest.mark.parametrize("actor", ["focal_point", "reader", "monitor", "imo", "nobody"])
def test_roles_without_case_create_cannot_open_a_case(request, caseworker_in_area, commune, actor):
    person = register(caseworker_in_area, area=commune)
    with pytest.raises(PermissionDenied):
        case_open(actor=request.getfixturevalue(actor), person=person, case_type="gbv")
    assert not Case.objects.exists()


def test_a_case_worker_cannot_open_a_case_outside_their_areas(
    caseworker_in_area, caseworker_other_area, commune
):
    person = register(caseworker_in_area, area=commune)
    with pytest.raises(PermissionDenied):
        case_open(actor=caseworker_other_area, person=person, case_type="gbv")
    assert not Case.objects.exists()


def test_a_case_is_not_opened_for_a_person_the_actor_cannot_see(caseworker_in_area, alpha, mopti, commune):
    colleague = make_member(Role.CASEWORKER, alpha, areas=[mopti], username="colleague")
    person = register(colleague, area=commune)
    with pytest.raises(PermissionDenied):
        case_open(actor=caseworker_in_area, person=person, case_type="gbv")
    assert not Case.objects.exists()


def test_invalid_values_are_refused_in_french_and_nothing_is_written(caseworker_in_area, commune):
    person = register(caseworker_in_area, area=commune)
    with pytest.raises(ValidationError) as error:
        case_open(actor=caseworker_in_area, person=person, case_type="unknown")
    assert "case_type" in error.value.message_dict
    with pytest.raises(ValidationError):
        case_open(
            actor=caseworker_in_area,
            person=person,
            case_type="gbv",
            opened_on=today() + datetime.timedelta(days=1),
        )
    assert not Case.objects.exists()


def test_every_bad_field_of_a_case_opening_is_told_at_once_and_nothing_is_written(
    caseworker_in_area, commune
):
    person = register(caseworker_in_area, area=commune)
    with pytest.raises(ValidationError) as error:
        case_open(
            actor=caseworker_in_area,
            person=person,
            case_type="unknown",
            risk_level="extreme",
            opened_on=today() + datetime.timedelta(days=1),
        )
    errors = error.value.message_dict
    assert set(errors) == {"case_type", "risk_level", "opened_on"}
    assert errors["opened_on"] == ["Cette date est dans le futur."]
    assert errors["case_type"] == ["Valeur inconnue : unknown."]
    assert not Case.objects.exists()
    assert not Task.objects.exists()


def test_every_bad_field_of_a_follow_up_is_told_at_once_and_nothing_is_written(caseworker_in_area, case):
    with pytest.raises(ValidationError) as error:
        follow_up_record(
            actor=caseworker_in_area,
            case=case,
            date=today() + datetime.timedelta(days=2),
            kind="telepathy",
        )
    assert set(error.value.message_dict) == {"date", "kind"}
    assert not case.follow_ups.exists()


def test_a_gbv_incident_opens_a_case_that_keeps_the_link(caseworker_in_area, mopti, commune):
    from sentinelle.monitoring.tests.factories import cercle_of, gbv_incident_input, record_incident

    incident = record_incident(
        caseworker_in_area, cercle_of(mopti), data=gbv_incident_input(cercle_of(mopti)), submit=True
    )
    case = make_case(caseworker_in_area, commune, incident=incident)
    assert case.incident == incident
    assert list(incident.cases.all()) == [case]
    with pytest.raises(ValidationError):
        make_case(caseworker_in_area, commune, incident=incident, given_name="Fatoumata")
    assert Case.objects.count() == 1


def test_assessment_sets_the_risk_closes_its_task_and_schedules_the_plan(caseworker_in_area, case):
    assessment_record(actor=caseworker_in_area, case=case, risk_level="medium", needs=["health", "pss"])
    case.refresh_from_db()
    assert case.risk_level == "medium"
    assessment_task = case.tasks.get(kind=TaskKind.ASSESSMENT)
    assert assessment_task.done_on == today()
    plan_task = case.tasks.get(kind=TaskKind.CASE_PLAN)
    assert plan_task.due_on == today() + datetime.timedelta(days=7)


def test_unknown_needs_are_refused(caseworker_in_area, case):
    with pytest.raises(ValidationError):
        assessment_record(actor=caseworker_in_area, case=case, risk_level="low", needs=["spaceship"])
    assert not case.assessments.exists()


def test_a_plan_without_approval_requirement_takes_effect_when_saved(caseworker_in_area, case):
    assessment_record(actor=caseworker_in_area, case=case, risk_level="high")
    plan = case_plan_save(
        actor=caseworker_in_area, case=case, goals="Soins", actions=plan_actions("health", "pss")
    )
    assert plan.status == CasePlan.Status.DRAFT
    assert plan.actions.count() == 2
    assert case.tasks.get(kind=TaskKind.CASE_PLAN).done_on == today()
    follow_up = case.tasks.get(kind=TaskKind.FOLLOW_UP)
    assert follow_up.due_on == today() + datetime.timedelta(days=7) and follow_up.done_on is None
    # Editing keeps the plan and the actions named by id; the others go.
    first = plan.actions.order_by("id").first()
    kept = [{"id": first.pk, "need": "health", "description": "Soins", "responsible": "X", "due_on": today()}]
    plan = case_plan_save(actor=caseworker_in_area, case=case, actions=kept)
    assert list(plan.actions.values_list("pk", flat=True)) == [first.pk]
    assert CasePlan.objects.filter(case=case).count() == 1


def test_a_plan_needs_an_action(caseworker_in_area, case):
    with pytest.raises(ValidationError):
        case_plan_save(actor=caseworker_in_area, case=case, actions=[])
    assert not CasePlan.objects.exists()


def test_plan_approval_by_another_manager(caseworker_in_area, manager, alpha, case):
    alpha.requires_supervisor_approval = True
    alpha.save()
    case.organisation.refresh_from_db()
    assessment_record(actor=caseworker_in_area, case=case, risk_level="low")
    plan = case_plan_save(actor=caseworker_in_area, case=case, actions=plan_actions("legal"))
    assert not case.tasks.filter(kind=TaskKind.FOLLOW_UP).exists()
    approval = case_plan_submit_for_approval(actor=caseworker_in_area, plan=plan)
    plan.refresh_from_db()
    assert plan.status == CasePlan.Status.PENDING_APPROVAL
    with pytest.raises(ValidationError):
        case_plan_save(actor=caseworker_in_area, case=case, actions=plan_actions("pss"))
    with pytest.raises(PermissionDenied):
        approval_decide(actor=caseworker_in_area, approval=approval, approve=True)
    with pytest.raises(ValidationError):
        approval_decide(actor=manager, approval=approval, approve=False, note="")
    approval_decide(actor=manager, approval=approval, approve=True)
    plan.refresh_from_db()
    assert plan.status == CasePlan.Status.APPROVED
    assert case.tasks.filter(kind=TaskKind.FOLLOW_UP, done_on__isnull=True).exists()
    with pytest.raises(ValidationError):
        approval_decide(actor=manager, approval=approval, approve=False, note="Trop tard")
    # A change to an approved plan is a new draft; the approved one stays in force meanwhile.
    new = case_plan_save(actor=caseworker_in_area, case=case, actions=plan_actions("legal", "pss"))
    assert new.pk != plan.pk and new.status == CasePlan.Status.DRAFT


def test_a_manager_cannot_approve_their_own_request(manager, alpha, commune):
    alpha.requires_supervisor_approval = True
    alpha.save()
    case = make_case(manager, commune)
    case_close(actor=manager, case=case, reason="needs_met")
    approval = Approval.objects.get(case=case)
    with pytest.raises(ValidationError):
        approval_decide(actor=manager, approval=approval, approve=True)
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_closure_with_approval_waits_for_the_manager(caseworker_in_area, manager, alpha, case):
    alpha.requires_supervisor_approval = True
    alpha.save()
    case_close(actor=caseworker_in_area, case=case, reason="needs_met", note="Plan réalisé.")
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    with pytest.raises(ValidationError):
        case_close(actor=caseworker_in_area, case=case, reason="needs_met")
    approval_decide(actor=manager, approval=Approval.objects.get(case=case), approve=True)
    case.refresh_from_db()
    assert (case.status, case.closure_reason, case.closed_on) == (CaseStatus.CLOSED, "needs_met", today())
    assert case.closure_note == "Plan réalisé."


def test_close_and_reopen(caseworker_in_area, case):
    case_close(actor=caseworker_in_area, case=case, reason="moved")
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    with pytest.raises(ValidationError):
        assessment_record(actor=caseworker_in_area, case=case, risk_level="low")
    with pytest.raises(ValidationError):
        case_close(actor=caseworker_in_area, case=case, reason="moved")
    case_reopen(actor=caseworker_in_area, case=case, reason="La personne est revenue.")
    case.refresh_from_db()
    assert (case.status, case.closed_on, case.closure_reason) == (CaseStatus.OPEN, None, "")
    assert CaseNote.objects.filter(case=case).count() == 1


def test_follow_up_closes_the_follow_up_task_and_schedules_the_next(caseworker_in_area, case):
    assessment_record(actor=caseworker_in_area, case=case, risk_level="low")
    case_plan_save(actor=caseworker_in_area, case=case, actions=plan_actions("health"))
    follow_up_record(actor=caseworker_in_area, case=case, date=today(), kind="visit", notes="Va mieux.")
    tasks = case.tasks.filter(kind=TaskKind.FOLLOW_UP)
    assert tasks.filter(done_on=today()).count() == 1
    assert tasks.get(done_on__isnull=True).due_on == today() + datetime.timedelta(days=30)


def test_tasks_and_notes(caseworker_in_area, case):
    task = task_add(actor=caseworker_in_area, case=case, title="Appeler", due_on=today())
    task_complete(actor=caseworker_in_area, task=task)
    with pytest.raises(ValidationError):
        task_complete(actor=caseworker_in_area, task=task)
    note = note_add(actor=caseworker_in_area, case=case, text="Entretien calme.")
    assert CaseNote.objects.get(pk=note.pk).text == "Entretien calme."
    with pytest.raises(ValidationError):
        note_add(actor=caseworker_in_area, case=case, text="  ")


def test_collaborators_see_the_case(caseworker_in_area, caseworker_other_area, case):
    with pytest.raises(Exception):  # noqa: B017 (Http404)
        case_get(user=caseworker_other_area, public_id=case.public_id)
    case_assign(actor=caseworker_in_area, case=case, collaborators=[caseworker_other_area])
    assert case_get(user=caseworker_other_area, public_id=case.public_id) == case
    assert list(case_list(user=caseworker_other_area)) == [case]


def test_a_collaborator_cannot_widen_the_team(caseworker_in_area, caseworker_other_area, alpha, case):
    case_assign(actor=caseworker_in_area, case=case, collaborators=[caseworker_other_area])
    third = make_member(Role.CASEWORKER, alpha, username="cw_third")
    with pytest.raises(PermissionDenied):
        case_assign(actor=caseworker_other_area, case=case, collaborators=[caseworker_other_area, third])
    assert list(case.collaborators.all()) == [caseworker_other_area]


def test_collaborators_must_work_in_the_organisation(caseworker_in_area, focal_point, case):
    with pytest.raises(ValidationError):
        case_assign(actor=caseworker_in_area, case=case, collaborators=[focal_point])
    assert not case.collaborators.exists()


def test_transfer_within_the_organisation(caseworker_in_area, caseworker_other_area, case):
    transfer = transfer_request(
        actor=caseworker_in_area, case=case, to_user=caseworker_other_area, reason="Congé"
    )
    assert len(mail.outbox) == 0  # sent after commit only
    with pytest.raises(PermissionDenied):
        transfer_accept(actor=caseworker_in_area, transfer=transfer)
    transfer_accept(actor=caseworker_other_area, transfer=transfer)
    case.refresh_from_db()
    assert case.owner == caseworker_other_area
    assert set(case.tasks.values_list("assigned_to", flat=True)) == {caseworker_other_area.pk}
    with pytest.raises(ValidationError):
        transfer_decline(actor=caseworker_other_area, transfer=transfer, reason="Non")


def test_transfer_mail_names_nobody(
    django_capture_on_commit_callbacks, caseworker_in_area, caseworker_other_area, case
):
    with django_capture_on_commit_callbacks(execute=True):
        transfer_request(actor=caseworker_in_area, case=case, to_user=caseworker_other_area, reason="Congé")
    [message] = mail.outbox
    assert case.case_number in message.subject
    assert "Aminata" not in message.body and "Traoré" not in message.body


def test_transfer_to_another_organisation_needs_consent(caseworker_in_area, case):
    gamma = OrganisationFactory(acronym="GAMMA")
    receiver = make_member(Role.CASEWORKER, gamma, username="gamma_cw")
    with pytest.raises(ValidationError) as error:
        transfer_request(actor=caseworker_in_area, case=case, to_user=receiver, reason="Déménagement")
    assert "GAMMA" in str(error.value)
    assert not Transfer.objects.exists()
    consent_for(caseworker_in_area, case, organisations=[gamma])
    transfer = transfer_request(actor=caseworker_in_area, case=case, to_user=receiver, reason="Déménagement")
    transfer_accept(actor=receiver, transfer=transfer)
    case.refresh_from_db()
    assert (case.owner, case.organisation) == (receiver, gamma)
    assert case_get(user=receiver, public_id=case.public_id) == case


def test_declined_transfer_changes_no_owner(caseworker_in_area, caseworker_other_area, case):
    transfer = transfer_request(
        actor=caseworker_in_area, case=case, to_user=caseworker_other_area, reason="Congé"
    )
    transfer_decline(actor=caseworker_other_area, transfer=transfer, reason="Trop de dossiers")
    case.refresh_from_db()
    assert case.owner == caseworker_in_area
    assert Transfer.objects.get().status == Transfer.Status.DECLINED


@pytest.mark.parametrize("actor", ["caseworker_other_area", "focal_point", "outsider", "imo", "reader"])
def test_refusals_change_nothing(request, case, actor):
    user = request.getfixturevalue(actor)
    before = (Task.objects.count(), CaseNote.objects.count(), case.risk_level)
    with pytest.raises(PermissionDenied):
        assessment_record(actor=user, case=case, risk_level="high")
    with pytest.raises(PermissionDenied):
        note_add(actor=user, case=case, text="Intrusion")
    with pytest.raises(PermissionDenied):
        case_close(actor=user, case=case, reason="other")
    case.refresh_from_db()
    assert (Task.objects.count(), CaseNote.objects.count(), case.risk_level) == before
    assert case.status == CaseStatus.OPEN and not case.assessments.exists()
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, user=user).count() == 3
