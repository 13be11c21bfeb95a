"""What a device takes offline: the user's own and assigned open cases only, the minimum of each, every
read audited with the device, in a bounded number of queries."""

import datetime

import pytest
from django.utils import timezone

from sentinelle.cases.models import CaseNote, FollowUp
from sentinelle.cases.services.cases import case_assign, case_close, note_add
from sentinelle.cases.services.persons import person_update
from sentinelle.cases.tests.factories_cases import assessed_and_planned, consent_for, make_case
from sentinelle.core.models import AuditAction, AuditEntry
from sentinelle.offline.selectors import LAST_SHOWN, offline_caseload
from sentinelle.offline.services import offline_device_enrol

pytestmark = pytest.mark.django_db


def _ids(caseload) -> set[str]:
    return {case["id"] for case in caseload["cases"]}


def test_only_the_open_cases_the_worker_owns_or_is_assigned_to_go_offline(
    worker, tablet, case, colleague, commune, caseworker_other_area, segou
):
    from sentinelle.cases.tests.factories_cases import commune_in

    assigned = make_case(colleague, commune, given_name="Mariam")
    case_assign(actor=colleague, case=assigned, collaborators=[worker])
    colleagues_gbv = make_case(colleague, commune, case_type="gbv", given_name="Hawa")
    other_area = make_case(caseworker_other_area, commune_in(segou, "Markala"), given_name="Bintou")
    closed = make_case(worker, commune, given_name="Salimata")
    case_close(actor=worker, case=closed, reason="needs_met")

    caseload = offline_caseload(user=worker, device=tablet)

    assert _ids(caseload) == {str(case.public_id), str(assigned.public_id)}
    shown = str(caseload)
    for absent in (colleagues_gbv, other_area, closed):
        assert str(absent.public_id) not in shown and absent.person.given_name not in shown
    assert caseload["offline_days"] == 7 and caseload["pending"] == []


def test_a_manager_takes_only_their_own_cases_not_the_organisations(manager, worker, case, commune):
    device, _secret = offline_device_enrol(actor=manager, label="Portable")
    own = make_case(manager, commune, given_name="Oumou")

    assert _ids(offline_caseload(user=manager, device=device)) == {str(own.public_id)}


def test_each_case_carries_the_minimum_the_work_needs(worker, tablet, case, manager):
    person_update(actor=worker, person=case.person, phone="76 11 22 33", caregiver_name="Awa")
    case.refresh_from_db()
    person_update(actor=manager, person=case.person, phone="76 11 22 34")
    plan = assessed_and_planned(worker, case, risk_level="high")
    consent_for(worker, case)
    for number in range(LAST_SHOWN + 2):
        note_add(actor=worker, case=case, text=f"Note {number}")

    [shown] = offline_caseload(user=worker, device=tablet)["cases"]

    assert shown["number"] == case.case_number and shown["type"] == "child_protection"
    assert shown["status"] == "open" and shown["risk_level"] == "high" and shown["risk_label"] == "Élevé"
    assert shown["step"] == "case_plan" and shown["opened_on"] == case.opened_on.isoformat()
    person = shown["person"]
    assert person["given_name"] == "Fatoumata" and person["phone"] == "76 11 22 34"
    assert person["caregiver_name"] == "Awa" and person["code"] == case.person.person_code
    assert shown["versions"] == {
        "person.phone": 2,
        "person.address": 0,
        "person.caregiver_name": 1,
        "person.caregiver_phone": 0,
        "case.risk_level": 1,
    }
    assert [note["text"] for note in shown["notes"]] == [f"Note {n}" for n in range(LAST_SHOWN + 1, 1, -1)]
    assert [action["id"] for action in shown["plan_actions"]] == [str(a.pk) for a in plan.actions.all()]
    assert {task["kind"] for task in shown["tasks"]} == {"follow_up"}  # open tasks only
    assert [consent["purpose"] for consent in shown["consents"]] == ["referral"]


def test_every_case_and_person_sent_is_an_audited_read_with_the_device(
    worker, tablet, case, colleague, commune
):
    assigned = make_case(colleague, commune, given_name="Mariam")
    case_assign(actor=colleague, case=assigned, collaborators=[worker])
    before = AuditEntry.objects.count()

    offline_caseload(user=worker, device=tablet)

    reads = AuditEntry.objects.filter(action=AuditAction.READ, user=worker).order_by("id")
    assert AuditEntry.objects.count() - before == 4
    assert {entry.object_id for entry in reads} == {
        str(case.public_id),
        str(case.person.public_id),
        str(assigned.public_id),
        str(assigned.person.public_id),
    }
    assert all(entry.detail["device"] == str(tablet.public_id) for entry in reads)
    from sentinelle.core.audit import verify_log

    assert verify_log().ok


def test_fifty_cases_cost_a_bounded_number_of_queries(worker, tablet, commune, django_assert_max_num_queries):
    """No N+1: the caseload of 50 cases, each with notes, follow-ups, tasks and a consent, in a few
    queries whatever the number of cases."""
    for number in range(50):
        case = make_case(worker, commune, given_name=f"Personne{number}")
        CaseNote.objects.create(case=case, text="Note", created_by=worker)
        FollowUp.objects.create(case=case, date=timezone.localdate(), kind="visit", created_by=worker)
    assert len(offline_caseload(user=worker, device=tablet)["cases"]) == 50

    with django_assert_max_num_queries(25):
        caseload = offline_caseload(user=worker, device=tablet)

    assert len(caseload["cases"]) == 50
    assert all(len(case["notes"]) == 1 and len(case["follow_ups"]) == 1 for case in caseload["cases"])


def test_the_caseload_of_fifty_cases_is_light(worker, tablet, commune):
    """The first sync of a 50-case caseload stays well under the 200 KB budget (issue 19)."""
    import json

    for number in range(50):
        case = make_case(worker, commune, given_name=f"Personne{number}")
        note_add(actor=worker, case=case, text="Visite faite, la famille est informée du suivi. " * 3)

    body = json.dumps(offline_caseload(user=worker, device=tablet), separators=(",", ":"))

    assert len(body.encode()) < 200_000


def test_old_follow_ups_stay_on_the_server(worker, tablet, case):
    for days in range(LAST_SHOWN + 3):
        FollowUp.objects.create(
            case=case,
            date=timezone.localdate() - datetime.timedelta(days=days),
            kind="call",
            created_by=worker,
        )

    [shown] = offline_caseload(user=worker, device=tablet)["cases"]

    assert len(shown["follow_ups"]) == LAST_SHOWN
    assert shown["follow_ups"][0]["date"] == timezone.localdate().isoformat()
