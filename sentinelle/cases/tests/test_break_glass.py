"""Break the glass: a manager opens a case of their own organisation that is outside their scope (another
area) for a limited time, after writing why; audited, shown on the case, told to the owner without
identity. Another organisation's case is never opened this way, and is answered exactly as an unknown
number (finding 3); across organisations, access is requested (test_case_access.py)."""

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from sentinelle.accounts.tests.factories import make_member
from sentinelle.cases.models import BreakGlassAccess, CaseNote
from sentinelle.cases.selectors.cases import (
    case_file,
    case_for_break_glass,
    case_get,
    case_list,
    case_who_saw,
    caseworker_home,
)
from sentinelle.cases.services.cases import break_glass_open
from sentinelle.cases.tests.factories_cases import commune_in, make_case
from sentinelle.core.models import AuditAction, AuditEntry, Role

pytestmark = pytest.mark.django_db

REASON = "Survivante arrivée à notre centre, besoin du plan de sécurité."
UNKNOWN = "CAS-2026-ZZZZZZ"


@pytest.fixture
def case(caseworker_in_area, mopti):
    return make_case(caseworker_in_area, commune_in(mopti, "Ténenkou"), given_name="Hawa")


@pytest.fixture
def area_manager(alpha, segou):
    """ALPHA's manager for Ségou: the Mopti case is ALPHA's but outside this manager's areas."""
    return make_member(Role.MANAGER, alpha, areas=[segou], username="manager_segou")


def test_a_manager_breaks_the_glass_inside_the_organisation(
    django_capture_on_commit_callbacks, area_manager, caseworker_in_area, case
):
    with pytest.raises(Http404):
        case_get(user=area_manager, public_id=case.public_id)
    with django_capture_on_commit_callbacks(execute=True):
        access = break_glass_open(actor=area_manager, case=case, reason=REASON, hours=2)
    assert access.expires_at == access.granted_at + datetime.timedelta(hours=2)
    assert case_get(user=area_manager, public_id=case.public_id) == case
    # Audited as such, without the reason (it may name someone).
    entry = AuditEntry.objects.get(action=AuditAction.BREAK_GLASS)
    assert entry.object_id == str(case.public_id) and entry.user == area_manager
    assert REASON not in str(entry.detail)
    # Shown on the case and in the owner's home page.
    assert case_file(user=area_manager, case=case)["break_glass"] == [access]
    assert CaseNote.objects.filter(case=case, created_by=area_manager).exists()
    assert caseworker_home(user=caseworker_in_area)["break_glass_notices"] == [access]
    assert any(row["username"] == "manager_segou" for row in case_who_saw(user=caseworker_in_area, case=case))
    # Told to the owner by e-mail: the case number, not the person, not the reason.
    [message] = mail.outbox
    assert message.to == [caseworker_in_area.email]
    assert case.case_number in message.subject
    assert "Hawa" not in message.body and REASON not in message.body


def test_the_access_expires(area_manager, case):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        break_glass_open(actor=area_manager, case=case, reason=REASON, hours=1)
        assert list(case_list(user=area_manager)) == [case]
    with time_machine.travel(start + datetime.timedelta(hours=1, minutes=1), tick=False):
        with pytest.raises(Http404):
            case_get(user=area_manager, public_id=case.public_id)
        assert list(case_list(user=area_manager)) == []


@pytest.mark.parametrize("reason, hours", [("", 2), ("Urgence", 2), (REASON, 0), (REASON, 25)])
def test_a_reason_and_a_reasonable_duration_are_required(area_manager, case, reason, hours):
    with pytest.raises(ValidationError):
        break_glass_open(actor=area_manager, case=case, reason=reason, hours=hours)
    assert not BreakGlassAccess.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditAction.BREAK_GLASS).exists()


@pytest.mark.parametrize("actor", ["caseworker_other_area", "focal_point", "imo", "reader", "monitor"])
def test_only_managers_break_the_glass(request, case, actor):
    user = request.getfixturevalue(actor)
    with pytest.raises(PermissionDenied):
        break_glass_open(actor=user, case=case, reason=REASON)
    assert not BreakGlassAccess.objects.exists()
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, user=user).exists()
    with pytest.raises(Http404):
        case_get(user=user, public_id=case.public_id)


def test_no_glass_to_break_on_a_case_already_within_reach(manager, case):
    with pytest.raises(ValidationError):
        break_glass_open(actor=manager, case=case, reason=REASON)
    assert not BreakGlassAccess.objects.exists()


# --- Finding 3: never across organisations ---------------------------------------------------------


def test_another_organisations_manager_cannot_break_the_glass(
    django_capture_on_commit_callbacks, outsider, case
):
    notes = CaseNote.objects.count()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        break_glass_open(actor=outsider, case=case, reason=REASON, hours=2)
    assert not BreakGlassAccess.objects.exists()
    assert CaseNote.objects.count() == notes and mail.outbox == []
    assert not AuditEntry.objects.filter(action=AuditAction.BREAK_GLASS).exists()
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, user=outsider).exists()
    with pytest.raises(Http404):
        case_get(user=outsider, public_id=case.public_id)


def _denied(user):
    return AuditEntry.objects.filter(action=AuditAction.DENIED, user=user)


def test_the_case_is_found_by_number_only_inside_the_organisation(
    area_manager, outsider, caseworker_other_area, alpha, beta, case
):
    assert case_for_break_glass(user=area_manager, case_number=f" {case.case_number.lower()} ") == case
    # Without the permission, nothing is looked up at all.
    assert case_for_break_glass(user=caseworker_other_area, case_number=case.case_number) is None
    assert not _denied(caseworker_other_area).exists()
    # Another organisation's case: nothing, and the outsider's organisation's log reads as for an unknown
    # number; ALPHA's log gets the attempt on its case.
    assert case_for_break_glass(user=outsider, case_number=case.case_number) is None
    assert case_for_break_glass(user=outsider, case_number=UNKNOWN) is None
    own_log = list(_denied(outsider).filter(organisation=beta).order_by("id"))
    assert len(own_log) == 2
    seen = [(e.object_type, e.object_id, e.outcome, sorted(e.detail)) for e in own_log]
    assert seen[0] == seen[1] and seen[0][1] == ""
    on_case = _denied(outsider).get(organisation=alpha)
    assert on_case.object_id == str(case.public_id)


def _page(response) -> str:
    """The page without its per-response (masked) CSRF tokens."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return re.sub(r'<meta name="csrf-token" content="[^"]+">', "", page)


def test_the_page_answers_an_outsider_as_for_an_unknown_number(signed_in, outsider, case):
    client = signed_in(outsider)
    url = reverse("cases:break-glass")
    entries = AuditEntry.objects.count()
    known = client.post(url, {"case_number": case.case_number, "reason": REASON, "hours": 4})
    unknown = client.post(url, {"case_number": UNKNOWN, "reason": REASON, "hours": 4})
    assert known.status_code == unknown.status_code == 200
    assert _page(known) == _page(unknown)
    assert case.case_number not in _page(known) and "Hawa" not in _page(known)
    assert not BreakGlassAccess.objects.exists() and not CaseNote.objects.filter(created_by=outsider).exists()
    assert AuditEntry.objects.count() == entries + 3  # one each in BETA's log, one in ALPHA's
    assert client.get(reverse("cases:case-detail", args=[case.public_id])).status_code == 404


def test_the_page_opens_the_case_inside_the_organisation(signed_in, area_manager, case):
    client = signed_in(area_manager)
    response = client.post(
        reverse("cases:break-glass"), {"case_number": case.case_number, "reason": REASON, "hours": 4}
    )
    assert response.status_code == 302
    assert response.url == reverse("cases:case-detail", args=[case.public_id])
    assert BreakGlassAccess.objects.filter(case=case, user=area_manager).exists()
