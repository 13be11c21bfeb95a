"""Dashboard pages and their table downloads. Everyone with Perm.DASHBOARD_VIEW reads them: the figures
are aggregates computed by core.datasets and passed through disclosure control (exact, marked where a
reader sees something else, only for Perm.STATS_EXACT). The filters are the query string, shared by every
figure and link. Readers' pages and downloads count against the same daily throttle as the statistics
API (core.disclosure.STATS_THROTTLE): the cell key method resists subtraction, not unlimited averaging."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from sentinelle.core import datasets, formatting
from sentinelle.core.audit import audit_record
from sentinelle.core.codes import PopulationStatus
from sentinelle.core.db_routing import analysis_view
from sentinelle.core.disclosure import STATS_THROTTLE, audience_note, disclosure_header
from sentinelle.core.models import AuditAction, AuditOutcome
from sentinelle.core.permissions import Perm, has_perm, require_perm
from sentinelle.core.throttles import TooManyAttempts, throttle_take
from sentinelle.geography.selectors import area_get_by_pcode
from sentinelle.reports.dashboards.exports import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, figure_csv, figure_xlsx
from sentinelle.reports.dashboards.figures import FIGURES
from sentinelle.reports.dashboards.pages import PAGES
from sentinelle.reports.dashboards.scope import FILTER_LABELS, DashboardScope
from sentinelle.reports.forms.dashboards import DashboardFilterForm

FORMATS = {"xlsx", "csv"}


def _scope(request, *, fixed_area=None):
    form = DashboardFilterForm(request.GET or None, user=request.user, fixed_area=fixed_area)
    scope = DashboardScope.for_user(request.user, **form.scope_values())
    return form, scope


def _query(request, *, fixed_area=None) -> str:
    query = request.GET.copy()
    if fixed_area is not None:
        query["area"] = fixed_area.pcode
    return query.urlencode()


def describe(scope: DashboardScope) -> list[str]:
    """The filters in words, for the page and the downloads."""
    lines = []
    if scope.date_from or scope.date_to:
        lines.append(
            _("Period: %(start)s to %(end)s")
            % {
                "start": formatting.day(scope.date_from) if scope.date_from else "…",
                "end": formatting.day(scope.date_to) if scope.date_to else "…",
            }
        )
    lines.append(_("Area: %(area)s") % {"area": scope.area.name_fr if scope.area else _("Mali")})
    if scope.organisation is not None:
        lines.append(_("Organisation: %(name)s") % {"name": scope.organisation.acronym})
    if scope.category:
        label = datasets.label_of(datasets.get("incidents"), "category", scope.category)
        lines.append(_("Category: %(code)s") % {"code": label})
    if scope.population_status:
        label = dict(PopulationStatus.choices).get(scope.population_status, scope.population_status)
        lines.append(_("Population status: %(code)s") % {"code": label})
    lines.append(audience_note(scope.audience, scope.threshold))
    if not scope.is_analyst:
        lines.append(_("Periods are calendar months, quarters or years: other dates are widened to them."))
    return lines


def _throttled(request) -> HttpResponse | None:
    """Readers' dashboards count against their daily figures throttle: 429 once it is spent."""
    if has_perm(request.user, Perm.STATS_EXACT):
        return None
    try:
        throttle_take(
            [(STATS_THROTTLE, str(request.user.pk))], request=request, user=request.user, channel="dashboards"
        )
    except TooManyAttempts as refusal:
        message = _("Too many requests. Wait %(seconds)s seconds, then try again.") % {
            "seconds": refusal.retry_after
        }
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(refusal.retry_after)
        return response
    return None


def _render(request, page_name: str, *, fixed_area=None):
    if refusal := _throttled(request):
        return refusal
    page = PAGES[page_name]
    form, scope = _scope(request, fixed_area=fixed_area)
    figures = [FIGURES[key](scope) for key in page.figures]
    query = _query(request, fixed_area=fixed_area)
    for figure in figures:
        base = reverse("reports:dashboard-export", args=[figure.key, "csv"])
        figure.csv_url = f"{base}?{query}" if query else base
        base = reverse("reports:dashboard-export", args=[figure.key, "xlsx"])
        figure.xlsx_url = f"{base}?{query}" if query else base
    pages = [
        {
            "name": name,
            "title": other.title,
            "url": reverse(f"reports:dashboard-{name}"),
            "current": name == page_name,
        }
        for name, other in PAGES.items()
        if name != "region"
    ]
    context = {
        "page": page,
        "title": f"{page.title} — {scope.area.name_fr}" if scope.area is not None else page.title,
        "form": form,
        "scope": scope,
        "figures": figures,
        "pages": pages,
        "query": query,
        "description": describe(scope),
        "fixed_area": fixed_area,
        "active_filters": [FILTER_LABELS[name] for name in scope.active_filters()],
    }
    return render(request, "reports/dashboards/page.html", context)


@require_perm(Perm.DASHBOARD_VIEW)
@analysis_view
def national(request):
    return _render(request, "national")


@require_perm(Perm.DASHBOARD_VIEW)
@analysis_view
def region(request, pcode: str | None = None):
    area = None
    if pcode is not None:
        area = area_get_by_pcode(pcode)
        if area is None:
            raise Http404(_("Not found."))
    return _render(request, "region", fixed_area=area)


@require_perm(Perm.DASHBOARD_VIEW)
@analysis_view
def gbv(request):
    return _render(request, "gbv")


@require_perm(Perm.DASHBOARD_VIEW)
@analysis_view
def child_protection(request):
    return _render(request, "child-protection")


@require_perm(Perm.DASHBOARD_VIEW)
@analysis_view
def displacement(request):
    return _render(request, "displacement")


@require_perm(Perm.DASHBOARD_VIEW)
@analysis_view
def referrals(request):
    return _render(request, "referrals")


@require_perm(Perm.DASHBOARD_VIEW)
@analysis_view
def fourw(request):
    return _render(request, "4w")


@require_perm(Perm.DASHBOARD_VIEW)
@analysis_view
def export(request, key: str, fmt: str):
    """One figure's table under the same filters, as the user saw it; audited (counts, never content)."""
    if key not in FIGURES or fmt not in FORMATS:
        raise Http404(_("Not found."))
    if refusal := _throttled(request):
        return refusal
    _form, scope = _scope(request)
    figure = FIGURES[key](scope)
    if figure.refused:
        # A figure this audience may not see (the GBV floor): no file, the reason instead. Not a
        # permission refusal (the user may export): an export that disclosure control refused.
        audit_record(
            action=AuditAction.EXPORT,
            outcome=AuditOutcome.DENIED,
            user=request.user,
            request=request,
            object_type="reports.dashboard",
            object_id=key,
            detail={"format": fmt, "reason": "gbv_floor"},
        )
        return HttpResponse(figure.refused, status=400, content_type="text/plain; charset=utf-8")
    if fmt == "csv":
        content, content_type = figure_csv(figure), CSV_CONTENT_TYPE
    else:
        content, content_type = figure_xlsx(figure, description=describe(scope)), XLSX_CONTENT_TYPE
    audit_record(
        action=AuditAction.EXPORT,
        user=request.user,
        request=request,
        object_type="reports.dashboard",
        object_id=key,
        detail={"format": fmt, "rows": len(figure.table.rows), "exact": scope.is_analyst},
    )
    response = HttpResponse(content, content_type=content_type)
    if figure.disclosure:
        response["X-Sentinelle-Disclosure"] = disclosure_header(scope.threshold, exact=scope.is_analyst)
    suffix = scope.date_to.isoformat() if scope.date_to else "all"
    response["Content-Disposition"] = f'attachment; filename="sentinelle-{key}-{suffix}.{fmt}"'
    return response
