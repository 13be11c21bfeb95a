"""Individual protection assistance: requested on a case, approved by a manager (never the requester),
disbursed; each step once, in order."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from sentinelle.cases.models import Assistance
from sentinelle.cases.services.cases import (
    assistance_approve,
    assistance_cancel,
    assistance_disburse,
    assistance_request,
)
from sentinelle.cases.tests.factories_cases import commune_in, make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(caseworker_in_area, mopti):
    return make_case(caseworker_in_area, commune_in(mopti, "Youwarou"), case_type="ipa")


def test_cash_assistance_from_request_to_disbursement(caseworker_in_area, manager, case):
    assistance = assistance_request(
        actor=caseworker_in_area, case=case, kind="cash", amount_xof=75000, purpose="Loyer et nourriture"
    )
    assert assistance.status == Assistance.Status.REQUESTED
    with pytest.raises(ValidationError):
        assistance_disburse(actor=caseworker_in_area, assistance=assistance)
    with pytest.raises(PermissionDenied):
        assistance_approve(actor=caseworker_in_area, assistance=assistance)
    approved = assistance_approve(actor=manager, assistance=assistance)
    assert (approved.status, approved.approved_by) == (Assistance.Status.APPROVED, manager)
    disbursed = assistance_disburse(actor=caseworker_in_area, assistance=assistance)
    assert (disbursed.status, disbursed.disbursed_on) == (Assistance.Status.DISBURSED, timezone.localdate())
    with pytest.raises(ValidationError):
        assistance_cancel(actor=caseworker_in_area, assistance=assistance)


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "cash", "amount_xof": None},
        {"kind": "cash", "amount_xof": 0},
        {"kind": "cash", "amount_xof": "5000"},
        {"kind": "in_kind", "items": ""},
        {"kind": "voucher", "amount_xof": 1000},
        {"kind": "cash", "amount_xof": 1000, "purpose": " "},
    ],
)
def test_invalid_requests_write_nothing(caseworker_in_area, case, fields):
    values = {"purpose": "Kit de dignité", **fields}
    with pytest.raises(ValidationError):
        assistance_request(actor=caseworker_in_area, case=case, **values)
    assert not Assistance.objects.exists()


def test_in_kind_keeps_items_and_no_amount(caseworker_in_area, case):
    assistance = assistance_request(
        actor=caseworker_in_area,
        case=case,
        kind="in_kind",
        items="Kit de dignité",
        amount_xof=10,
        purpose="Hygiène",
    )
    assert (assistance.items, assistance.amount_xof) == ("Kit de dignité", None)


def test_the_requesting_manager_cannot_approve(manager, case):
    assistance = assistance_request(
        actor=manager, case=case, kind="cash", amount_xof=1000, purpose="Transport"
    )
    with pytest.raises(ValidationError):
        assistance_approve(actor=manager, assistance=assistance)
    assistance.refresh_from_db()
    assert assistance.status == Assistance.Status.REQUESTED


def test_disbursement_date_cannot_be_in_the_future(caseworker_in_area, manager, case):
    assistance = assistance_request(
        actor=caseworker_in_area, case=case, kind="cash", amount_xof=1000, purpose="Transport"
    )
    assistance_approve(actor=manager, assistance=assistance)
    with pytest.raises(ValidationError):
        assistance_disburse(
            actor=caseworker_in_area,
            assistance=assistance,
            disbursed_on=timezone.localdate() + datetime.timedelta(days=1),
        )
    assistance.refresh_from_db()
    assert assistance.status == Assistance.Status.APPROVED


@pytest.mark.parametrize("actor", ["caseworker_other_area", "focal_point", "outsider", "imo", "reader"])
def test_outsiders_cannot_request_or_approve(request, caseworker_in_area, case, actor):
    user = request.getfixturevalue(actor)
    with pytest.raises(PermissionDenied):
        assistance_request(actor=user, case=case, kind="cash", amount_xof=1000, purpose="Transport")
    assistance = assistance_request(
        actor=caseworker_in_area, case=case, kind="cash", amount_xof=1000, purpose="Transport"
    )
    with pytest.raises(PermissionDenied):
        assistance_approve(actor=user, assistance=assistance)
    assistance.refresh_from_db()
    assert assistance.status == Assistance.Status.REQUESTED and Assistance.objects.count() == 1
