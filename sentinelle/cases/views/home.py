"""Home pages: a case worker's cases by risk, a manager's organisation dashboard, the case list."""

from django.shortcuts import render

from sentinelle.cases.forms import CaseFilterForm
from sentinelle.cases.models import CaseType, RiskLevel
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


def _risk_label(risk: str) -> str:
    return RiskLevel(risk).label if risk else "—"


@require_perm(Perm.CASE_VIEW)
def my_cases(request):
    home = caseworker_home(user=request.user)
    groups = [(risk, _risk_label(risk), home["cases_by_risk"].get(risk, [])) for risk in RISK_ORDER]
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
