"""Population movement pages: current displacement by cercle, figures, events, return intentions and
people in need. Reading needs Perm.POPULATION_VIEW; every write Perm.POPULATION_MANAGE (the services
check the organisation and area again, and audit refusals)."""

from functools import partial

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sentinelle.core.forms import errors_shown_on
from sentinelle.core.permissions import Perm, has_perm, require_perm
from sentinelle.displacement import charts, selectors, services
from sentinelle.displacement.forms import (
    EventFilterForm,
    EventForm,
    FigureFilterForm,
    FigureForm,
    IntentionForm,
    NeedFilterForm,
    NeedForm,
    OverviewForm,
)
from sentinelle.displacement.models import FIGURE_STATUS_CHOICES, FIGURE_STATUSES, ReturnCondition
from sentinelle.geography.maps import circles_map
from sentinelle.geography.selectors import cod_version_default

PAGE_SIZE = 50


def _page(request, queryset):
    query = request.GET.copy()
    query.pop("page", None)
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page")), query.urlencode()


def _can_manage(request) -> bool:
    return has_perm(request.user, Perm.POPULATION_MANAGE)


@require_perm(Perm.POPULATION_VIEW)
def overview(request):
    form = OverviewForm(request.GET or None)
    area, as_of = form.value("area"), form.value("as_of") or timezone.localdate()
    rows = selectors.figure_totals(user=request.user, as_of=as_of, level=2, area=area)
    trend = selectors.figure_trend(user=request.user, area=area, as_of=as_of)
    for point in trend:
        point["cells"] = [point["by_status"].get(status, 0) for status in FIGURE_STATUSES]
    sparklines = [
        {
            "label": label,
            "points": charts.sparkline([point["by_status"].get(status, 0) for point in trend]),
            "last": trend[-1]["by_status"].get(status, 0) if trend else 0,
        }
        for status, label in FIGURE_STATUS_CHOICES
    ]
    context = {
        "form": form,
        "area": area,
        "as_of": as_of,
        "rows": rows,
        "statuses": [label for _code, label in FIGURE_STATUS_CHOICES],
        "totals": [sum(row["cells"][i] for row in rows) for i in range(len(FIGURE_STATUSES))],
        "grand_total": sum(row["individuals"] for row in rows),
        "map": circles_map(
            {row["pcode"]: row["individuals"] for row in rows}, cod_version_default(), level=2
        ),
        "trend": trend,
        "trend_statuses": FIGURE_STATUSES,
        "sparklines": sparklines,
        "can_manage": _can_manage(request),
    }
    return render(request, "displacement/overview.html", context)


@require_perm(Perm.POPULATION_VIEW)
def figure_list(request):
    form = FigureFilterForm(request.GET or None)
    figures = selectors.figure_list(user=request.user, **form.filters())
    page, query = _page(request, figures)
    context = {
        "form": form,
        "page": page,
        "query": query,
        "can_manage": _can_manage(request),
        # "Edit" only on the figures the policy lets this user change (their organisation's, in their areas).
        "editable": selectors.figures_editable(user=request.user, figures=page.object_list),
    }
    return render(request, "displacement/figure_list.html", context)


def _recorded(request, form, record, *, success: str, redirect_to: str, template: str, context=None):
    """The one submit pattern of every recording page: the form's cleaned data are the service's arguments;
    a refusal (invalid values, or an organisation or area out of the user's reach) shows on the form."""
    if request.method == "POST" and form.is_valid():
        with errors_shown_on(
            form, refusal=_("You may not record population data for this organisation or area.")
        ):
            record(actor=request.user, **form.cleaned_data, request=request)
            messages.success(request, success)
            return redirect(redirect_to)
    return render(request, template, {"form": form, **(context or {})})


def _form(request, form_class, **kwargs):
    organisations = selectors.manageable_organisations(user=request.user)
    return form_class(request.POST or None, organisations=organisations, user=request.user, **kwargs)


@require_perm(Perm.POPULATION_MANAGE)
@require_http_methods(["GET", "POST"])
def figure_create(request):
    return _recorded(
        request,
        _form(request, FigureForm),
        services.figure_record,
        success=_("The figure is recorded."),
        redirect_to="displacement:figure-list",
        template="displacement/figure_form.html",
        context={"figure": None},
    )


@require_perm(Perm.POPULATION_MANAGE)
@require_http_methods(["GET", "POST"])
def figure_edit(request, public_id):
    figure = selectors.figure_get(
        user=request.user, public_id=public_id, perm=Perm.POPULATION_MANAGE, request=request
    )
    initial = FigureForm.initial_for(figure, selectors.figure_breakdown(figure))
    return _recorded(
        request,
        _form(request, FigureForm, initial=initial),
        partial(services.figure_update, figure=figure),
        success=_("The figure is updated."),
        redirect_to="displacement:figure-list",
        template="displacement/figure_form.html",
        context={"figure": figure},
    )


@require_perm(Perm.POPULATION_VIEW)
def event_list(request):
    form = EventFilterForm(request.GET or None)
    events = selectors.event_list(user=request.user, **form.filters())
    page, query = _page(request, events)
    context = {
        "form": form,
        "page": page,
        "query": query,
        "totals": selectors.event_totals(events),
        "can_manage": _can_manage(request),
    }
    return render(request, "displacement/event_list.html", context)


def _create(request, *, form_class, service, template: str, success: str, redirect_to: str):
    return _recorded(
        request,
        _form(request, form_class),
        service,
        success=success,
        redirect_to=redirect_to,
        template=template,
    )


@require_perm(Perm.POPULATION_MANAGE)
@require_http_methods(["GET", "POST"])
def event_create(request):
    return _create(
        request,
        form_class=EventForm,
        service=services.event_record,
        template="displacement/event_form.html",
        success=_("The displacement event is recorded; the alert rules have been checked."),
        redirect_to="displacement:event-list",
    )


@require_perm(Perm.POPULATION_VIEW)
def intention_list(request):
    form = OverviewForm(request.GET or None)
    area = form.value("area")
    intentions = selectors.return_intention_list(user=request.user, area=area)
    page, query = _page(request, intentions)
    summary = selectors.return_intention_summary(user=request.user, area=area)
    summary["conditions"] = [(ReturnCondition(code).label, n) for code, n in summary["conditions"]]
    context = {
        "form": form,
        "page": page,
        "query": query,
        "summary": summary,
        "can_manage": _can_manage(request),
    }
    return render(request, "displacement/intention_list.html", context)


@require_perm(Perm.POPULATION_MANAGE)
@require_http_methods(["GET", "POST"])
def intention_create(request):
    return _create(
        request,
        form_class=IntentionForm,
        service=services.return_intention_record,
        template="displacement/intention_form.html",
        success=_("The return intentions survey is recorded."),
        redirect_to="displacement:intention-list",
    )


@require_perm(Perm.POPULATION_VIEW)
def need_list(request):
    form = NeedFilterForm(request.GET or None)
    year = form.value("year") or selectors.people_in_need_latest_year(user=request.user)
    status = form.value("population_status") or None
    needs = selectors.people_in_need_list(
        user=request.user, area=form.value("area"), year=year, status=status
    )
    page, query = _page(request, needs)
    coverage = selectors.coverage(user=request.user, year=year, level=2, status=status)
    context = {
        "form": form,
        "year": year,
        "page": page,
        "query": query,
        "coverage": coverage,
        "has_reached": any(row["reached"] is not None for row in coverage),
        "can_manage": _can_manage(request),
    }
    return render(request, "displacement/need_list.html", context)


@require_perm(Perm.POPULATION_MANAGE)
@require_http_methods(["GET", "POST"])
def need_create(request):
    return _create(
        request,
        form_class=NeedForm,
        service=services.people_in_need_record,
        template="displacement/need_form.html",
        success=_("The people in need are recorded."),
        redirect_to="displacement:need-list",
    )
