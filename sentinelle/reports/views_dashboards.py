"""Dashboard pages and their table downloads. Everyone with Perm.DASHBOARD_VIEW reads them: the figures
are aggregates computed by core.datasets and passed through disclosure control (exact with small cells
marked only for Perm.STATS_EXACT). The filters are the query string, shared by every figure and link."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from sentinelle.core import datasets
from sentinelle.core.audit import audit_record
from sentinelle.core.codes import PopulationStatus
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, require_perm
from sentinelle.geography.selectors import area_get_by_pcode
from sentinelle.reports.dashboards.figures import FIGURES
from sentinelle.reports.dashboards.pages import PAGES
from sentinelle.reports.dashboards.scope import FILTER_LABELS, DashboardScope
from sentinelle.reports.exports_dashboards import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, figure_csv, figure_xlsx
from sentinelle.reports.forms_dashboards import DashboardFilterForm

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
                "start": scope.date_from.isoformat() if scope.date_from else "…",
                "end": scope.date_to.isoformat() if scope.date_to else "…",
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
    if scope.is_analyst:
        lines.append(
            _("Exact figures: cells under %(threshold)s are marked * and must not be published.")
            % {"threshold": scope.threshold}
        )
    else:
        lines.append(
            _(
                "Cells under %(threshold)s are shown as <%(threshold)s; cells marked x are hidden so that "
                "totals cannot reveal a small cell."
            )
            % {"threshold": scope.threshold}
        )
    return lines


def _render(request, page_name: str, *, fixed_area=None):
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
def national(request):
    return _render(request, "national")


@require_perm(Perm.DASHBOARD_VIEW)
def region(request, pcode: str | None = None):
    area = None
    if pcode is not None:
        area = area_get_by_pcode(pcode)
        if area is None:
            raise Http404(_("Not found."))
    return _render(request, "region", fixed_area=area)


@require_perm(Perm.DASHBOARD_VIEW)
def gbv(request):
    return _render(request, "gbv")


@require_perm(Perm.DASHBOARD_VIEW)
def child_protection(request):
    return _render(request, "child-protection")


@require_perm(Perm.DASHBOARD_VIEW)
def displacement(request):
    return _render(request, "displacement")


@require_perm(Perm.DASHBOARD_VIEW)
def referrals(request):
    return _render(request, "referrals")


@require_perm(Perm.DASHBOARD_VIEW)
def fourw(request):
    return _render(request, "4w")


@require_perm(Perm.DASHBOARD_VIEW)
def export(request, key: str, fmt: str):
    """One figure's table under the same filters, as the user saw it; audited (counts, never content)."""
    if key not in FIGURES or fmt not in FORMATS:
        raise Http404(_("Not found."))
    _form, scope = _scope(request)
    figure = FIGURES[key](scope)
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
    suffix = scope.date_to.isoformat() if scope.date_to else "all"
    response["Content-Disposition"] = f'attachment; filename="sentinelle-{key}-{suffix}.{fmt}"'
    return response
