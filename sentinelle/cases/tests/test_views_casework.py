"""Case plan with approval, IPA, transfer, break the glass, who saw, closure approval and exports through
the pages; refused actions change nothing."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from sentinelle.accounts.tests.factories import make_member
from sentinelle.cases.models import (
    Approval,
    Assistance,
    BreakGlassAccess,
    CasePlan,
    CaseStatus,
    Transfer,
)
from sentinelle.cases.tests.factories_cases import commune_in, make_case
from sentinelle.core.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(caseworker_in_area, mopti):
    return make_case(caseworker_in_area, commune_in(mopti, "Sévaré"), case_type="ipa")


def _plan_data():
    due = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()
    return {
        "goals": "Sécurité.",
        "need_1": "health",
        "description_1": "Soins",
        "responsible_1": "Gestionnaire",
        "due_on_1": due,
    }


def test_plan_submitted_and_approved(signed_in, caseworker_in_area, manager, alpha, case):
    alpha.requires_supervisor_approval = True
    alpha.save()
    client = signed_in(caseworker_in_area)
    response = client.post(reverse("cases:plan-edit", args=[case.public_id]), _plan_data())
    assert response.status_code == 302
    plan = CasePlan.objects.get(case=case)
    assert plan.actions.count() == 1
    client.post(reverse("cases:plan-submit", args=[plan.public_id]))
    approval = Approval.objects.get(case=case)
    # The case worker cannot decide.
    assert (
        client.post(
            reverse("cases:approval-decide", args=[approval.public_id]), {"decision": "approve"}
        ).status_code
        == 403
    )
    signed_in(manager)
    client.post(reverse("cases:approval-decide", args=[approval.public_id]), {"decision": "approve"})
    plan.refresh_from_db()
    assert plan.status == CasePlan.Status.APPROVED


def test_closure_needs_approval_when_required(signed_in, caseworker_in_area, manager, alpha, case):
    alpha.requires_supervisor_approval = True
    alpha.save()
    client = signed_in(caseworker_in_area)
    client.post(reverse("cases:case-close", args=[case.public_id]), {"reason": "needs_met"})
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    approval = Approval.objects.get(case=case, kind="closure")
    signed_in(manager)
    client.post(reverse("cases:approval-decide", args=[approval.public_id]), {"decision": "approve"})
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED


def test_assistance_requested_approved_disbursed(signed_in, caseworker_in_area, manager, case):
    client = signed_in(caseworker_in_area)
    client.post(
        reverse("cases:assistance-add", args=[case.public_id]),
        {"kind": "cash", "amount_xof": "25000", "purpose": "Loyer"},
    )
    assistance = Assistance.objects.get(case=case)
    assert client.post(reverse("cases:assistance-approve", args=[assistance.public_id])).status_code == 403
    signed_in(manager)
    client.post(reverse("cases:assistance-approve", args=[assistance.public_id]))
    signed_in(caseworker_in_area)
    client.post(reverse("cases:assistance-disburse", args=[assistance.public_id]))
    assistance.refresh_from_db()
    assert assistance.status == Assistance.Status.DISBURSED and assistance.amount_xof == 25000


def test_transfer_within_the_organisation(signed_in, caseworker_in_area, alpha, mopti, case):
    colleague = make_member(Role.CASEWORKER, alpha, areas=[mopti], username="cw_colleague")
    client = signed_in(caseworker_in_area)
    client.post(
        reverse("cases:transfer-request", args=[case.public_id]),
        {"to_user": colleague.pk, "reason": "Congé."},
    )
    transfer = Transfer.objects.get(case=case)
    # Only the proposed case worker may answer.
    assert (
        client.post(
            reverse("cases:transfer-answer", args=[transfer.public_id]), {"decision": "accept"}
        ).status_code
        == 404
    )
    signed_in(colleague)
    assert transfer.case.case_number in client.get(reverse("cases:transfers")).content.decode()
    client.post(reverse("cases:transfer-answer", args=[transfer.public_id]), {"decision": "accept"})
    case.refresh_from_db()
    assert case.owner == colleague


def test_break_the_glass_then_who_saw(signed_in, alpha, segou, caseworker_in_area, case):
    # Inside the organisation only: ALPHA's manager for Ségou opens ALPHA's Mopti case.
    area_manager = make_member(Role.MANAGER, alpha, areas=[segou], username="manager_segou")
    client = signed_in(area_manager)
    assert client.get(reverse("cases:case-detail", args=[case.public_id])).status_code == 404
    response = client.post(
        reverse("cases:break-glass"), {"case_number": case.case_number, "reason": "", "hours": 4}
    )
    assert response.status_code == 200 and not BreakGlassAccess.objects.exists()
    reason = "Risque immédiat pour la survivante, le gestionnaire est absent."
    client.post(reverse("cases:break-glass"), {"case_number": case.case_number, "reason": reason, "hours": 4})
    assert BreakGlassAccess.objects.filter(case=case, user=area_manager).exists()
    page = client.get(reverse("cases:case-detail", args=[case.public_id]))
    assert page.status_code == 200 and reason in page.content.decode()
    signed_in(caseworker_in_area)
    page = client.get(reverse("cases:who-saw", args=[case.public_id])).content.decode()
    assert "manager_segou" in page


def test_break_the_glass_is_for_managers(signed_in, caseworker_other_area, case):
    client = signed_in(caseworker_other_area)
    response = client.post(
        reverse("cases:break-glass"), {"case_number": case.case_number, "reason": "x" * 40, "hours": 4}
    )
    assert response.status_code == 403 and not BreakGlassAccess.objects.exists()


def test_exports_for_managers_only(signed_in, caseworker_in_area, manager, case):
    client = signed_in(caseworker_in_area)
    assert client.get(reverse("cases:export-cases")).status_code == 403
    signed_in(manager)
    response = client.get(reverse("cases:export-cases"))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    response = client.get(reverse("cases:export-incident-recorder"))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
