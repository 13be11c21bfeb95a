"""Access to a case across organisations (finding 3): a manager of another organisation asks by case
number, the managers of the organisation holding the case grant for a limited time or refuse; the
request page answers alike whether the case exists; everything is audited and the requester told."""

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from sentinelle.accounts.tests.factories import OrganisationFactory, make_member
from sentinelle.cases.models import BreakGlassAccess, CaseAccessRequest, CaseNote
from sentinelle.cases.selectors.access import (
    access_request_get,
    access_request_queue,
    access_requests_of,
    access_requests_waiting,
)
from sentinelle.cases.selectors.cases import case_get, case_list
from sentinelle.cases.selectors.persons import person_get
from sentinelle.cases.services.case_access import case_access_grant, case_access_refuse, case_access_request
from sentinelle.cases.tests.factories_cases import commune_in, make_case
from sentinelle.core.models import AuditAction, AuditEntry, Role

pytestmark = pytest.mark.django_db

REASON = "La survivante est arrivée dans notre centre de Sévaré, urgence médicale."
UNKNOWN = "CAS-2026-ZZZZZZ"
Status = CaseAccessRequest.Status


@pytest.fixture
def case(caseworker_in_area, mopti):
    return make_case(caseworker_in_area, commune_in(mopti, "Ténenkou"), given_name="Hawa")


@pytest.fixture
def asked(outsider, case):
    return case_access_request(actor=outsider, case_number=case.case_number, reason=REASON, hours=4)


@pytest.fixture
def third_manager(db):
    return make_member(Role.MANAGER, OrganisationFactory(acronym="GAMMA"), username="manager_gamma")


def _reads(user, case):
    return AuditEntry.objects.filter(action=AuditAction.READ, user=user, object_id=str(case.public_id))


def test_request_then_grant_opens_the_case_for_its_duration_only(
    django_capture_on_commit_callbacks, outsider, manager, caseworker_in_area, case
):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            asked = case_access_request(actor=outsider, case_number=case.case_number, reason=REASON, hours=4)
        assert asked.case == case and asked.status == Status.REQUESTED
        with pytest.raises(Http404):
            case_get(user=outsider, public_id=case.public_id)
        # ALPHA's manager sees it waiting, and was told (no reason, no name in the mail).
        assert list(access_request_queue(user=manager)) == [asked]
        assert access_requests_waiting(user=manager) == 1
        [told] = mail.outbox
        assert told.to == [manager.email] and case.case_number in told.subject
        assert REASON not in told.body and "Hawa" not in told.body
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            granted = case_access_grant(actor=manager, access_request=asked, hours=2)
        assert granted.status == Status.GRANTED and granted.decided_by == manager
        assert granted.expires_at == start + datetime.timedelta(hours=2)
        assert BreakGlassAccess.objects.get(case=case, user=outsider) == granted.access
        # The requester reads the case and its person; each read is audited.
        assert case_get(user=outsider, public_id=case.public_id) == case
        assert person_get(user=outsider, public_id=case.person.public_id) == case.person
        assert _reads(outsider, case).count() == 1
        assert list(case_list(user=outsider)) == [case]
        # Told: the requester (granted, until when) and the case worker; the note is on the case.
        assert {m.to[0] for m in mail.outbox} == {outsider.email, caseworker_in_area.email}
        assert all("Hawa" not in m.body and REASON not in m.body for m in mail.outbox)
        assert CaseNote.objects.filter(case=case, created_by=manager).exists()
        assert access_requests_waiting(user=manager) == 0
        assert access_requests_of(user=outsider)[0].case_public_id == case.public_id
    with time_machine.travel(start + datetime.timedelta(hours=2, minutes=1), tick=False):
        with pytest.raises(Http404):
            case_get(user=outsider, public_id=case.public_id)
        assert list(case_list(user=outsider)) == []
        [mine] = access_requests_of(user=outsider)
        assert mine.status == Status.EXPIRED and mine.case_public_id is None


def test_each_step_is_audited(outsider, manager, beta, alpha, case, asked):
    created = AuditEntry.objects.get(action=AuditAction.CREATE, object_type="cases.caseaccessrequest")
    assert created.user == outsider and created.organisation == beta
    assert created.object_id == str(asked.public_id) and REASON not in str(created.detail)
    case_access_grant(actor=manager, access_request=asked)
    granted = AuditEntry.objects.get(detail__event="access_granted")
    assert granted.user == manager and granted.organisation == alpha
    assert granted.object_id == str(case.public_id) and granted.detail["to_user"] == outsider.pk
    assert granted.detail["hours"] == 4 and REASON not in str(granted.detail)


def test_refusal_gives_no_access_and_tells_the_requester(
    django_capture_on_commit_callbacks, outsider, manager, case, asked
):
    with django_capture_on_commit_callbacks(execute=True):
        refused = case_access_refuse(actor=manager, access_request=asked, reason="Le dossier est clos.")
    assert refused.status == Status.REFUSED
    assert not BreakGlassAccess.objects.exists()
    with pytest.raises(Http404):
        case_get(user=outsider, public_id=case.public_id)
    [told] = mail.outbox
    assert told.to == [outsider.email] and "Le dossier est clos." not in told.body
    [mine] = access_requests_of(user=outsider)
    assert mine.status == Status.REFUSED and mine.answer == "Le dossier est clos."
    assert AuditEntry.objects.filter(detail__event="access_refused", user=manager).exists()
    with pytest.raises(ValidationError):  # answered once
        case_access_grant(actor=manager, access_request=asked)
    assert not BreakGlassAccess.objects.exists()


@pytest.mark.parametrize("decider", ["third_manager", "caseworker_in_area", "admin", "outsider"])
def test_only_the_owning_organisations_managers_decide(request, decider, outsider, case, asked):
    user = request.getfixturevalue(decider)
    for decide in (
        lambda: case_access_grant(actor=user, access_request=asked),
        lambda: case_access_refuse(actor=user, access_request=asked, reason="Non."),
    ):
        with pytest.raises(PermissionDenied):
            decide()
    asked.refresh_from_db()
    assert asked.status == Status.REQUESTED and not BreakGlassAccess.objects.exists()
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, user=user).count() == 2
    assert list(access_request_queue(user=user)) == []
    with pytest.raises(Http404):
        access_request_get(user=user, public_id=asked.public_id)
    with pytest.raises(Http404):
        case_get(user=outsider, public_id=case.public_id)


def test_a_manager_outside_the_cases_area_does_not_decide(alpha, segou, asked):
    area_manager = make_member(Role.MANAGER, alpha, areas=[segou], username="manager_segou")
    with pytest.raises(PermissionDenied):
        case_access_grant(actor=area_manager, access_request=asked)
    assert list(access_request_queue(user=area_manager)) == []


@pytest.mark.parametrize("hours", [0, 25])
def test_a_grant_lasts_at_most_the_configured_hours(manager, asked, hours):
    with pytest.raises(ValidationError):
        case_access_grant(actor=manager, access_request=asked, hours=hours)
    assert not BreakGlassAccess.objects.exists()


def test_an_unanswered_request_lapses(manager, outsider, case):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        asked = case_access_request(actor=outsider, case_number=case.case_number, reason=REASON, hours=4)
    with time_machine.travel(start + datetime.timedelta(days=8), tick=False):
        assert list(access_request_queue(user=manager)) == []
        with pytest.raises(ValidationError):
            case_access_grant(actor=manager, access_request=asked)
        asked.refresh_from_db()
        assert asked.status == Status.EXPIRED and not BreakGlassAccess.objects.exists()


def test_a_request_for_an_unknown_number_reads_like_any_other(outsider, manager, case):
    known = case_access_request(actor=outsider, case_number=case.case_number, reason=REASON, hours=4)
    unknown = case_access_request(actor=outsider, case_number=UNKNOWN.lower(), reason=REASON, hours=4)
    assert unknown.case is None and known.case == case
    first, second = access_requests_of(user=outsider)
    assert (first.status, first.case_public_id, first.answer) == (second.status, second.case_public_id, "")
    entries = AuditEntry.objects.filter(user=outsider, object_type="cases.caseaccessrequest").order_by("id")
    first_entry, second_entry = ((e.action, e.organisation_id, sorted(e.detail)) for e in entries)
    assert first_entry == second_entry
    # Asking again while it waits sends nothing new.
    again = case_access_request(actor=outsider, case_number=case.case_number, reason=REASON, hours=2)
    assert again == known and CaseAccessRequest.objects.count() == 2
    assert list(access_request_queue(user=manager)) == [known]


def test_the_requester_is_a_manager(caseworker_other_area, case):
    with pytest.raises(PermissionDenied):
        case_access_request(actor=caseworker_other_area, case_number=case.case_number, reason=REASON, hours=4)
    assert not CaseAccessRequest.objects.exists()


# --- Pages -------------------------------------------------------------------------------------------


def _page(response) -> str:
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return re.sub(r'<meta name="csrf-token" content="[^"]+">', "", page)


def test_the_request_page_answers_alike(signed_in, outsider, case):
    client = signed_in(outsider)
    url = reverse("cases:access-request-create")
    known = client.post(url, {"case_number": case.case_number, "reason": REASON, "hours": 4}, follow=True)
    unknown = client.post(url, {"case_number": UNKNOWN, "reason": REASON, "hours": 4}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain == [(url, 302)]
    messages = [[str(m) for m in r.context["messages"]] for r in (known, unknown)]
    assert messages[0] == messages[1] and len(messages[0]) == 1
    # The requester's list shows both alike (no link to the case, the same status).
    rows = unknown.context["requests"]
    assert [row.case_number for row in rows] == [UNKNOWN, case.case_number]
    assert rows[0].status_label == rows[1].status_label and str(case.public_id) not in _page(unknown)


def test_the_queue_and_the_decision_through_the_pages(signed_in, manager, outsider, case, asked):
    client = signed_in(manager)
    home = client.get(reverse("cases:my-cases"))
    assert 'data-testid="access-requests-waiting"' in home.content.decode()
    queue = client.get(reverse("cases:access-request-queue"))
    assert queue.status_code == 200 and case.case_number in queue.content.decode()
    decide = reverse("cases:access-request-decide", args=[asked.public_id])
    assert client.get(decide).status_code == 405
    response = client.post(decide, {"decision": "grant", "hours": "3"})
    assert response.url == reverse("cases:access-request-queue")
    asked.refresh_from_db()
    assert asked.status == Status.GRANTED
    signed_in(outsider)
    assert client.get(reverse("cases:case-detail", args=[case.public_id])).status_code == 200


@pytest.mark.parametrize("decider", ["caseworker_in_area", "third_manager"])
def test_others_cannot_decide_through_the_pages(request, signed_in, decider, outsider, case, asked):
    client = signed_in(request.getfixturevalue(decider))
    response = client.post(
        reverse("cases:access-request-decide", args=[asked.public_id]), {"decision": "grant"}
    )
    assert response.status_code == (403 if decider == "caseworker_in_area" else 404)
    asked.refresh_from_db()
    assert asked.status == Status.REQUESTED and not BreakGlassAccess.objects.exists()
