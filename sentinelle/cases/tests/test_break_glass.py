"""Break the glass: a manager opens a case outside their scope for a limited time, after writing why;
audited, shown on the case, told to the owner without identity."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from sentinelle.cases.models import BreakGlassAccess, CaseNote
from sentinelle.cases.selectors.cases import case_file, case_get, case_list, case_who_saw, caseworker_home
from sentinelle.cases.services.cases import break_glass_open
from sentinelle.cases.tests.factories_cases import commune_in, make_case
from sentinelle.core.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db

REASON = "Survivante arrivée à notre centre, besoin du plan de sécurité."


@pytest.fixture
def case(caseworker_in_area, mopti):
    return make_case(caseworker_in_area, commune_in(mopti, "Ténenkou"), given_name="Hawa")


def test_a_manager_breaks_the_glass(django_capture_on_commit_callbacks, outsider, caseworker_in_area, case):
    with pytest.raises(Http404):
        case_get(user=outsider, public_id=case.public_id)
    with django_capture_on_commit_callbacks(execute=True):
        access = break_glass_open(actor=outsider, case=case, reason=REASON, hours=2)
    assert access.expires_at == access.granted_at + datetime.timedelta(hours=2)
    assert case_get(user=outsider, public_id=case.public_id) == case
    # Audited as such, without the reason (it may name someone).
    entry = AuditEntry.objects.get(action=AuditAction.BREAK_GLASS)
    assert entry.object_id == str(case.public_id) and entry.user == outsider
    assert REASON not in str(entry.detail)
    # Shown on the case and in the owner's home page.
    assert case_file(user=outsider, case=case)["break_glass"] == [access]
    assert CaseNote.objects.filter(case=case, created_by=outsider).exists()
    assert caseworker_home(user=caseworker_in_area)["break_glass_notices"] == [access]
    assert any(row["username"] == "outsider" for row in case_who_saw(user=caseworker_in_area, case=case))
    # Told to the owner by e-mail: the case number, not the person, not the reason.
    [message] = mail.outbox
    assert message.to == [caseworker_in_area.email]
    assert case.case_number in message.subject
    assert "Hawa" not in message.body and REASON not in message.body


def test_the_access_expires(outsider, case):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        break_glass_open(actor=outsider, case=case, reason=REASON, hours=1)
        assert list(case_list(user=outsider)) == [case]
    with time_machine.travel(start + datetime.timedelta(hours=1, minutes=1), tick=False):
        with pytest.raises(Http404):
            case_get(user=outsider, public_id=case.public_id)
        assert list(case_list(user=outsider)) == []


@pytest.mark.parametrize("reason, hours", [("", 2), ("Urgence", 2), (REASON, 0), (REASON, 25)])
def test_a_reason_and_a_reasonable_duration_are_required(outsider, case, reason, hours):
    with pytest.raises(ValidationError):
        break_glass_open(actor=outsider, case=case, reason=reason, hours=hours)
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


def test_the_case_is_found_by_number_only_for_break_glass_holders(outsider, caseworker_other_area, case):
    from sentinelle.cases.selectors.cases import case_for_break_glass

    assert case_for_break_glass(user=outsider, case_number=f" {case.case_number.lower()} ") == case
    # Without the permission, nothing is looked up at all.
    assert case_for_break_glass(user=caseworker_other_area, case_number=case.case_number) is None
    denied_before = AuditEntry.objects.filter(action=AuditAction.DENIED).count()
    assert case_for_break_glass(user=outsider, case_number="CAS-0000-ZZZZZZ") is None
    assert AuditEntry.objects.filter(action=AuditAction.DENIED).count() == denied_before + 1
