"""Home pages: a case worker's cases by risk, a manager's organisation dashboard, the case list."""

from uuid import UUID

from django.shortcuts import render
from django.urls import reverse

from sentinelle.cases.forms import CaseFilterForm
from sentinelle.cases.models import CaseStatus, CaseType, RiskLevel
from sentinelle.cases.selectors.access import access_requests_waiting
from sentinelle.cases.selectors.cases import (
    RISK_ORDER,
    case_list,
    caseworker_home,
    manager_dashboard,
    transfers_received,
)
from sentinelle.core.pagination import CappedPaginator
from sentinelle.core.permissions import Perm, has_perm, require_perm

PAGE_SIZE = 50
_ANY_ID = UUID(int=0)


def _risk_label(risk: str) -> str:
    return RiskLevel(risk).label if risk else "—"


def _rows(cases) -> None:
    """What each row of partials/_case_rows.html shows besides the case's own fields: its link and labels,
    computed once per page (reversing a URL and reading choices' labels in every row took a quarter of
    the list's rendering)."""
    prefix, suffix = reverse("cases:case-detail", args=[_ANY_ID]).split(str(_ANY_ID))
    types = {code: str(label) for code, label in CaseType.choices}
    risks = {code: str(label) for code, label in RiskLevel.choices}
    statuses = {code: str(label) for code, label in CaseStatus.choices}
    for case in cases:
        case.url = f"{prefix}{case.public_id}{suffix}"
        case.type_label = types.get(case.case_type, case.case_type)
        case.risk_label = risks.get(case.risk_level, case.risk_level)
        case.status_label = statuses.get(case.status, case.status)


@require_perm(Perm.CASE_VIEW)
def my_cases(request):
    home = caseworker_home(user=request.user)
    groups = [(risk, _risk_label(risk), home["cases_by_risk"].get(risk, [])) for risk in RISK_ORDER]
    _rows(case for _risk, _label, cases in groups for case in cases)
    user = request.user
    can_manage = has_perm(user, Perm.CASE_APPROVE)
    links = {
        "can_trace": has_perm(user, Perm.TRACING_VIEW),
        "can_manage": can_manage,
        "can_break_glass": has_perm(user, Perm.BREAK_GLASS),
        "can_stats": has_perm(user, Perm.CASE_STATS),
        "access_requests_waiting": access_requests_waiting(user=user) if can_manage else 0,
    }
    return render(request, "cases/my_cases.html", {"home": home, "groups": groups, **links})


@require_perm(Perm.CASE_APPROVE)
def dashboard(request):
    data = manager_dashboard(user=request.user)
    data["access_requests_waiting"] = access_requests_waiting(user=request.user)
    load = [
        (_risk_label(risk), [(CaseType(t).label, n) for t, n in data["open_by_risk"].get(risk, {}).items()])
        for risk in RISK_ORDER
    ]
    return render(request, "cases/dashboard.html", {"data": data, "load": load})


@require_perm(Perm.CASE_VIEW)
def case_list_page(request):
    form = CaseFilterForm(request.GET or None)
    filters = {k: v for k, v in form.cleaned_data.items() if v} if form.is_valid() else {}
    cases = case_list(user=request.user, filters=filters)
    page = CappedPaginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    _rows(page)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/case_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_export": has_perm(request.user, Perm.CASE_EXPORT),
        },
    )


@require_perm(Perm.CASE_VIEW)
def transfers(request):
    return render(request, "cases/transfers.html", {"transfers": transfers_received(user=request.user)})
