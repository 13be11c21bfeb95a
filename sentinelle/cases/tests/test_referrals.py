"""The referral loop between two organisations: create -> accept -> complete, decline with a reason,
cancel; the receiving focal point sees only the referral's minimum and never the case."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from sentinelle.accounts.tests.factories import OrganisationFactory, make_member
from sentinelle.cases.models import ReferralStatus, Task, TaskKind
from sentinelle.cases.selectors.cases import case_get
from sentinelle.cases.selectors.referrals import (
    referral_get,
    referral_queue,
    referral_received_get,
    referral_timeline,
)
from sentinelle.cases.services.referrals import (
    REFERRAL_FORMS,
    referral_accept,
    referral_cancel,
    referral_complete,
    referral_create,
    referral_decline,
    referral_form_clean,
)
from sentinelle.cases.tests.factories_cases import (
    VALID_FORMS,
    assessed_and_planned,
    commune_in,
    consent_for,
    make_case,
    make_referral,
    make_service,
)
from sentinelle.core.models import AuditAction, AuditEntry, Role
from sentinelle.core.validation import Errors
from sentinelle.directory.models import ServiceType

pytestmark = pytest.mark.django_db


@pytest.fixture
def commune(mopti):
    return commune_in(mopti, "Sévaré")


@pytest.fixture
def service(beta, commune, focal_point):
    return make_service(beta, commune, "health", focal_points=[focal_point], name="CSCOM Sévaré")


@pytest.fixture
def case(caseworker_in_area, commune, beta):
    case = make_case(caseworker_in_area, commune, case_type="general_protection")
    consent_for(caseworker_in_area, case, organisations=[beta])
    return case


def test_every_service_type_has_a_form():
    assert set(REFERRAL_FORMS) == set(ServiceType.values)
    assert all(REFERRAL_FORMS[t] for t in ServiceType.values)


def test_the_form_keeps_only_its_own_questions():
    errors = Errors()
    referral_form_clean(errors, "health", {"time_since_incident": "soon", "family_name": "Traoré"})
    assert {"form.time_since_incident", "form.family_name", "form.known_allergies"} <= set(errors.as_dict())
    errors = Errors()
    cleaned = referral_form_clean(errors, "shelter", {**VALID_FORMS["shelter"], "accompanying_children": "3"})
    assert not errors
    assert cleaned["accompanying_children"] == 3


def test_the_full_loop(django_capture_on_commit_callbacks, caseworker_in_area, focal_point, case, service):
    plan = assessed_and_planned(caseworker_in_area, case, needs=("health",))
    action = plan.actions.get()
    with django_capture_on_commit_callbacks(execute=True):
        referral = make_referral(caseworker_in_area, case, service, plan_action=action)
    assert referral.reference.startswith("REF-") and referral.status == ReferralStatus.PENDING
    # The focal point is told by e-mail: reference, type, urgency, link; no name.
    [message] = mail.outbox
    assert message.to == [focal_point.email]
    assert referral.reference in message.subject
    assert "Aminata" not in message.body + message.subject and "Traoré" not in message.body
    # ... and finds it in the queue, with the minimum only.
    [item] = referral_queue(user=focal_point)
    assert (item.reference, item.service_type, item.urgency, item.person_code) == (
        referral.reference,
        "health",
        "urgent",
        case.person.person_code,
    )
    assert item.given_name == "" and item.reason == ""
    assert dict(item.form)  # the referral form's answers, as labels
    with django_capture_on_commit_callbacks(execute=True):
        referral_accept(actor=focal_point, referral=referral)
    referral_complete(actor=focal_point, referral=referral, service_given="Kit PEP et soins.")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.COMPLETED and referral.handled_by == focal_point
    assert referral.accepted_at <= referral.completed_at
    assert [e.status for e in referral_timeline(referral)] == ["pending", "accepted", "completed"]
    action.refresh_from_db()
    assert action.done_on is not None
    # The referring case worker was told of the acceptance (no name either).
    assert mail.outbox[-1].to == [caseworker_in_area.email]
    assert "Aminata" not in mail.outbox[-1].body
    assert (
        AuditEntry.objects.filter(object_id=str(referral.public_id), action=AuditAction.UPDATE).count() == 2
    )


def test_decline_needs_a_reason(caseworker_in_area, focal_point, case, service):
    referral = make_referral(caseworker_in_area, case, service)
    with pytest.raises(ValidationError):
        referral_decline(actor=focal_point, referral=referral, reason=" ")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PENDING
    referral_decline(actor=focal_point, referral=referral, reason="Pas de médecin cette semaine.")
    referral.refresh_from_db()
    assert (referral.status, referral.decline_reason) == ("declined", "Pas de médecin cette semaine.")
    with pytest.raises(ValidationError):
        referral_complete(actor=focal_point, referral=referral, service_given="Soins")


def test_the_referring_side_cancels_and_the_provider_cannot(caseworker_in_area, focal_point, case, service):
    referral = make_referral(caseworker_in_area, case, service)
    with pytest.raises(PermissionDenied):
        referral_cancel(actor=focal_point, referral=referral, reason="Non")
    with pytest.raises(PermissionDenied):
        referral_accept(actor=caseworker_in_area, referral=referral)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PENDING
    referral_cancel(actor=caseworker_in_area, referral=referral, reason="La personne a quitté la zone.")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CANCELLED
    assert referral_queue(user=focal_point) == []


def test_the_focal_point_sees_the_referral_never_the_case(caseworker_in_area, focal_point, case, service):
    referral = make_referral(caseworker_in_area, case, service)
    with pytest.raises(Http404):
        case_get(user=focal_point, public_id=case.public_id)
    with pytest.raises(Http404):
        referral_get(user=focal_point, public_id=referral.public_id)
    item = referral_received_get(user=focal_point, public_id=referral.public_id)
    assert item.given_name == "Aminata"  # not a GBV case: the first name, to welcome the person
    assert item.reason == referral.reason
    shown = str(vars(item))
    assert "Traoré" not in shown and case.case_number not in shown
    assert AuditEntry.objects.filter(
        action=AuditAction.READ, user=focal_point, object_id=str(referral.public_id)
    ).exists()


def test_a_gbv_survivor_is_known_by_code_only(caseworker_in_area, focal_point, commune, service, beta):
    case = make_case(caseworker_in_area, commune, case_type="gbv", given_name="Mariam")
    consent_for(caseworker_in_area, case, organisations=[beta])
    referral = make_referral(caseworker_in_area, case, service)
    item = referral_received_get(user=focal_point, public_id=referral.public_id)
    assert item.given_name == "" and item.person_code == case.person.person_code


def test_outsiders_get_404(caseworker_in_area, caseworker_other_area, case, service):
    referral = make_referral(caseworker_in_area, case, service)
    gamma_manager = make_member(Role.MANAGER, OrganisationFactory(acronym="GAMMA"), username="gamma")
    for user in (gamma_manager, caseworker_other_area):
        with pytest.raises(Http404):
            referral_received_get(user=user, public_id=referral.public_id)
        with pytest.raises(Http404):
            referral_get(user=user, public_id=referral.public_id)
        assert referral_queue(user=user, status="all") == []
    with pytest.raises(PermissionDenied):
        referral_accept(actor=gamma_manager, referral=referral)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PENDING


def test_the_provider_manager_without_focal_points_is_told(
    django_capture_on_commit_callbacks, caseworker_in_area, outsider, case, commune, beta
):
    unattended = make_service(beta, commune, "health", name="Poste de santé")
    with django_capture_on_commit_callbacks(execute=True):
        make_referral(caseworker_in_area, case, unattended)
    assert [m.to for m in mail.outbox] == [[outsider.email]]


def test_a_service_outside_sentinelle_is_answered_by_the_referring_side(caseworker_in_area, commune):
    case = make_case(caseworker_in_area, commune, case_type="child_protection")
    consent_for(caseworker_in_area, case, service_types=["civil_documentation"])
    referral = referral_create(
        actor=caseworker_in_area,
        case=case,
        external_service="Centre d'état civil de Mopti",
        service_type="civil_documentation",
        urgency="routine",
        reason="Acte de naissance.",
        form=VALID_FORMS["civil_documentation"],
    )
    referral_complete(actor=caseworker_in_area, referral=referral, service_given="Jugement supplétif obtenu.")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.COMPLETED


def test_create_validation_writes_nothing(caseworker_in_area, case, service):
    with pytest.raises(ValidationError):
        make_referral(caseworker_in_area, case, service, form={"time_since_incident": "under_72h"})
    with pytest.raises(ValidationError):
        make_referral(caseworker_in_area, case, service, urgency="whenever")
    with pytest.raises(ValidationError):
        make_referral(caseworker_in_area, case, service, service_type="legal")
    service.status = "suspended"
    service.save()
    with pytest.raises(ValidationError):
        make_referral(caseworker_in_area, case, service)
    assert not case.referrals.exists()


def test_queue_is_constant_in_queries(
    django_assert_max_num_queries, caseworker_in_area, focal_point, case, service
):
    for _ in range(5):
        make_referral(caseworker_in_area, case, service)
    with django_assert_max_num_queries(3):
        assert len(referral_queue(user=focal_point)) == 5


# --- The feedback a service returns ----------------------------------------------------------------


@pytest.fixture
def external(caseworker_in_area, commune):
    case = make_case(caseworker_in_area, commune, case_type="child_protection", risk_level="high")
    consent_for(caseworker_in_area, case, service_types=["civil_documentation"])
    return referral_create(
        actor=caseworker_in_area,
        case=case,
        external_service="Centre d'état civil de Mopti",
        service_type="civil_documentation",
        urgency="routine",
        reason="Acte de naissance.",
        form=VALID_FORMS["civil_documentation"],
    )


def test_the_referring_side_records_the_returned_feedback_in_one_step(caseworker_in_area, external):
    referral_complete(
        actor=caseworker_in_area,
        referral=external,
        service_given="Jugement supplétif obtenu.",
        service_date=timezone.localdate(),
        follow_up_needed=True,
        follow_up="Retirer l'acte à la mairie.",
    )
    external.refresh_from_db()
    assert external.status == ReferralStatus.COMPLETED
    assert (external.service_given, external.service_date, external.follow_up_needed, external.follow_up) == (
        "Jugement supplétif obtenu.",
        timezone.localdate(),
        True,
        "Retirer l'acte à la mairie.",
    )
    # Follow-up needed: a task for the case worker, within the high risk level's follow-up deadline.
    task = Task.objects.get(case=external.case, kind=TaskKind.FOLLOW_UP)
    assert task.assigned_to == caseworker_in_area and task.due_on == timezone.localdate() + timedelta(days=7)
    entry = AuditEntry.objects.filter(action=AuditAction.UPDATE, object_id=str(external.public_id)).last()
    assert entry.detail["event"] == "referral_feedback_recorded" and entry.detail["follow_up_needed"] is True
    # The audit says what happened, never what the service wrote.
    assert "Jugement" not in str(entry.detail) and "mairie" not in str(entry.detail)


def test_feedback_without_follow_up_adds_no_task(caseworker_in_area, external):
    referral_complete(actor=caseworker_in_area, referral=external, service_given="Acte délivré.")
    external.refresh_from_db()
    assert external.service_date is not None and external.follow_up_needed is False
    assert not Task.objects.filter(case=external.case, kind=TaskKind.FOLLOW_UP).exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"follow_up_needed": True, "follow_up": " "},  # which follow-up?
        {"service_date_days": 1},  # in the future
        {"service_date_days": -3},  # before the referral was made
        {"service_given": ""},
    ],
)
def test_invalid_feedback_changes_nothing(caseworker_in_area, external, changes):
    arguments = {"service_given": "Acte délivré.", **changes}
    days = arguments.pop("service_date_days", None)
    if days is not None:
        arguments["service_date"] = timezone.localdate() + timedelta(days=days)
    with pytest.raises(ValidationError):
        referral_complete(actor=caseworker_in_area, referral=external, **arguments)
    external.refresh_from_db()
    assert external.status == ReferralStatus.PENDING and external.service_given == ""
    assert external.service_date is None
    assert not Task.objects.filter(case=external.case, kind=TaskKind.FOLLOW_UP).exists()


def test_a_user_outside_the_referral_cannot_record_feedback(
    caseworker_other_area, focal_point, outsider, external
):
    for actor in (caseworker_other_area, focal_point, outsider):
        with pytest.raises(PermissionDenied):
            referral_complete(actor=actor, referral=external, service_given="Faux retour.")
    external.refresh_from_db()
    assert external.status == ReferralStatus.PENDING and external.service_given == ""
    assert not external.events.filter(status=ReferralStatus.COMPLETED).exists()


def test_the_referring_side_cannot_answer_for_a_service_in_sentinelle(caseworker_in_area, case, service):
    referral = make_referral(caseworker_in_area, case, service)
    with pytest.raises(PermissionDenied):
        referral_complete(actor=caseworker_in_area, referral=referral, service_given="Soins.")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PENDING
