"""Monthly 4W reporting pages: reports and their activities, the IMO's review, periods, the 4W matrix."""

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sentinelle.activities import exports
from sentinelle.activities.forms.reporting import (
    MONTH_FORMAT,
    ActivityForm,
    FourWFilterForm,
    ReviewForm,
    activity_initial,
    parse_month,
)
from sentinelle.activities.models import ReportStatus
from sentinelle.activities.selectors import reporting as selectors
from sentinelle.activities.services import reporting as services
from sentinelle.core.db_routing import analysis_view
from sentinelle.core.forms import errors_shown_as_messages, errors_shown_on
from sentinelle.core.pagination import page_query
from sentinelle.core.permissions import Perm, area_limits, has_perm, require_perm

FORM_TEMPLATE = "activities/reporting/activity_form.html"
FOURW_PAGE_SIZE = 25


def _months_back(count: int) -> list[datetime.date]:
    month = timezone.localdate().replace(day=1)
    months = []
    for _index in range(count):
        months.append(month)
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    return months


@require_perm(Perm.ACTIVITY_VIEW)
def report_list(request):
    """The partner's monthly reports (and the months to start); the IMO's review queue and all reports."""
    user = request.user
    organisations = selectors.entry_organisations(user) if has_perm(user, Perm.ACTIVITY_EDIT) else []
    status = request.GET.get("status", "")
    status = status if status in ReportStatus.values else ""
    reports = list(selectors.report_list(user=user, status=status)[:200])
    existing = {(r.organisation_id, r.period.month) for r in reports}
    to_start = [
        (organisation, month)
        for month in _months_back(2)
        for organisation in organisations
        if (organisation.pk, month) not in existing
    ]
    context = {
        "reports": reports,
        "queue": list(selectors.review_queue(user=user)),
        "to_start": to_start,
        "status": status,
        "statuses": ReportStatus.choices,
        "month_format": MONTH_FORMAT,
        "can_review": has_perm(user, Perm.ACTIVITY_REVIEW),
    }
    return render(request, "activities/reporting/report_list.html", context)


@require_perm(Perm.ACTIVITY_VIEW)
def report_detail(request, public_id):
    user = request.user
    report = selectors.report_get(user=user, public_id=public_id, request=request)
    activities = list(selectors.report_activities(user=user, report=report))
    open_for_partner = report.status in services.EDITABLE and not report.period.is_locked
    context = {
        "report": report,
        "activities": activities,
        "total": sum(a.reached_total or 0 for a in activities),
        "can_edit": open_for_partner and has_perm(user, Perm.ACTIVITY_EDIT, report),
        "can_review": report.status in (ReportStatus.SUBMITTED, ReportStatus.VALIDATED)
        and not report.period.is_locked
        and has_perm(user, Perm.ACTIVITY_REVIEW),
        "review_form": ReviewForm(),
        "month_param": report.period.month.strftime(MONTH_FORMAT),
    }
    return render(request, "activities/reporting/report_detail.html", context)


def _run(request, report, action, done: str):
    with errors_shown_as_messages(request, refusal=True):
        action()
        messages.success(request, done)
    return redirect("activities:report-detail", public_id=report.public_id)


@require_perm(Perm.ACTIVITY_EDIT)
@require_POST
def report_submit(request, public_id):
    report = selectors.report_get(user=request.user, public_id=public_id, request=request)
    return _run(
        request,
        report,
        lambda: services.activity_report_submit(actor=request.user, report=report, request=request),
        _("The report is submitted to the cluster."),
    )


def _review(request, public_id, service, done: str):
    """The IMO validates or returns a report, with the comment typed (required to return it)."""
    report = selectors.report_get(user=request.user, public_id=public_id, request=request)
    comment = request.POST.get("comment", "")[:2000]
    return _run(
        request,
        report,
        lambda: service(actor=request.user, report=report, comment=comment, request=request),
        done,
    )


@require_perm(Perm.ACTIVITY_REVIEW)
@require_POST
def report_validate(request, public_id):
    return _review(request, public_id, services.activity_report_validate, _("The report is validated."))


@require_perm(Perm.ACTIVITY_REVIEW)
@require_POST
def report_return(request, public_id):
    return _review(
        request,
        public_id,
        services.activity_report_return,
        _("The report is returned to the organisation for correction."),
    )


# --- Activities ---------------------------------------------------------------------------------


def _entry_form(request, data=None, initial=None):
    organisations = selectors.entry_organisations(request.user)
    return ActivityForm(
        data,
        initial=initial,
        organisations=organisations,
        projects=selectors.entry_projects(organisations),
        area_limits=area_limits(request.user, Perm.ACTIVITY_EDIT),
    )


@require_perm(Perm.ACTIVITY_EDIT)
@require_http_methods(["GET", "POST"])
def activity_create(request):
    month = parse_month(
        request.POST.get("month") or request.GET.get("month")
    ) or timezone.localdate().replace(day=1)
    initial = {"month": month.strftime(MONTH_FORMAT), "start_date": month, "end_date": month}
    organisation_id = request.GET.get("organisation", "")
    if organisation_id:
        initial["organisation"] = organisation_id[:36]
    form = _entry_form(request, request.POST or None, initial=initial)
    if not form.organisations:
        raise Http404(_("You do not report for any organisation."))
    if request.method == "POST" and "refresh" not in request.POST and form.is_valid():
        with errors_shown_on(form, refusal=True):
            activity = services.activity_create(
                actor=request.user,
                organisation=form.cleaned_data["organisation_obj"],
                month=month,
                **form.activity_values(),
                request=request,
            )
            messages.success(request, _("The activity is added to the report."))
            if "add_another" in request.POST:
                return redirect(f"{request.path}?month={month.strftime(MONTH_FORMAT)}")
            return redirect("activities:report-detail", public_id=activity.report.public_id)
    context = {"form": form, "activity": None, "month": month}
    return render(request, FORM_TEMPLATE, context)


@require_perm(Perm.ACTIVITY_EDIT)
@require_POST
def activity_form_part(request):
    """The place selects re-drawn from what is chosen so far (HTMX); nothing is saved."""
    form = _entry_form(request, request.POST)
    return render(request, "activities/reporting/_location.html", {"form": form})


@require_perm(Perm.ACTIVITY_VIEW)
def activity_detail(request, public_id):
    activity = selectors.activity_get(user=request.user, public_id=public_id, request=request)
    report = activity.report
    can_edit = (
        report.status in services.EDITABLE
        and not report.period.is_locked
        and has_perm(request.user, Perm.ACTIVITY_EDIT, activity)
    )
    context = {"activity": activity, "can_edit": can_edit, **selectors.activity_details(activity)}
    return render(request, "activities/reporting/activity_detail.html", context)


@require_perm(Perm.ACTIVITY_EDIT)
@require_http_methods(["GET", "POST"])
def activity_edit(request, public_id):
    activity = selectors.activity_get(
        user=request.user, public_id=public_id, perm=Perm.ACTIVITY_EDIT, request=request
    )
    form = _entry_form(request, request.POST or None, initial=activity_initial(activity))
    if "organisation" in form.fields:
        form.fields["organisation"].disabled = True
    if request.method == "POST" and "refresh" not in request.POST and form.is_valid():
        with errors_shown_on(form, refusal=True):
            services.activity_update(
                actor=request.user, activity=activity, **form.activity_values(), request=request
            )
            messages.success(request, _("The activity is updated."))
            return redirect("activities:report-detail", public_id=activity.report.public_id)
    context = {"form": form, "activity": activity, "month": activity.report.period.month}
    return render(request, FORM_TEMPLATE, context)


@require_perm(Perm.ACTIVITY_EDIT)
@require_POST
def activity_archive(request, public_id):
    activity = selectors.activity_get(
        user=request.user, public_id=public_id, perm=Perm.ACTIVITY_EDIT, request=request
    )
    with errors_shown_as_messages(request, refusal=True):
        services.activity_archive(actor=request.user, activity=activity, request=request)
        messages.success(request, _("The activity is removed from the report."))
    return redirect("activities:report-detail", public_id=activity.report.public_id)


# --- Periods ---------------------------------------------------------------------------------------


@require_perm(Perm.ACTIVITY_VIEW)
def period_list(request):
    context = {
        "periods": selectors.period_list(user=request.user),
        "can_review": has_perm(request.user, Perm.ACTIVITY_REVIEW),
        "can_reopen": has_perm(request.user, Perm.PERIOD_REOPEN),
    }
    return render(request, "activities/reporting/period_list.html", context)


def _period_action(request, public_id, service, done: str):
    period = selectors.period_get(user=request.user, public_id=public_id, request=request)
    with errors_shown_as_messages(request):
        service(actor=request.user, period=period, request=request)
        messages.success(request, done % {"month": period.month.strftime("%m/%Y")})
    return redirect("activities:period-list")


@require_perm(Perm.ACTIVITY_REVIEW)
@require_POST
def period_lock(request, public_id):
    return _period_action(request, public_id, services.period_lock, _("The period %(month)s is locked."))


@require_perm(Perm.ACTIVITY_REVIEW)
@require_POST
def period_publish(request, public_id):
    return _period_action(request, public_id, services.fourw_publish, _("The 4W of %(month)s is published."))


@require_perm(Perm.PERIOD_REOPEN)
@require_POST
def period_reopen(request, public_id):
    return _period_action(request, public_id, services.period_reopen, _("The period %(month)s is reopened."))


@require_perm(Perm.ACTIVITY_REVIEW)
@require_POST
def period_open(request):
    """The IMO opens the period of a month before any report (so that it can be locked on time)."""
    month = parse_month(request.POST.get("month"))
    if month is None:
        raise Http404
    services.period_get_or_create(month)
    return redirect("activities:period-list")


# --- The 4W ------------------------------------------------------------------------------------------


def _fourw(request):
    user = request.user
    months = [p.month for p in selectors.published_periods()]
    if has_perm(user, Perm.ACTIVITY_REVIEW):
        months = sorted(set(months) | set(_months_back(6)), reverse=True)
    organisations, projects = selectors.fourw_filter_choices(user=user)
    form = FourWFilterForm(request.GET or None, months=months, organisations=organisations, projects=projects)
    filters = selectors.FourWFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters.month = parse_month(data.get("month"))
        filters.area = form.areas.get(data.get("area") or "")
        organisation = form.organisations.get(data.get("organisation") or "")
        filters.organisation_id = organisation.pk if organisation else None
        filters.activity_type = data.get("activity_type") or ""
        project = form.projects.get(data.get("project") or "")
        filters.project_id = project.pk if project else None
    applied = {key: value for key, value in (form.cleaned_data.items() if form.is_valid() else []) if value}
    # An unknown choice in the address (an organisation without activities...) matches nothing.
    filters.nothing = form.is_bound and not form.is_valid()
    return form, selectors.fourw_activities(user=user, filters=filters), applied


@require_perm(Perm.FOURW_VIEW)
@analysis_view
def fourw_matrix(request):
    form, activities, applied = _fourw(request)
    rows = list(activities[:1000])
    # The summary counts every loaded row; the table shows them a page at a time (one query in all).
    page = Paginator(rows, FOURW_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "activities": page.object_list,
        "page_query": page_query(request),
        "truncated": len(rows) == 1000,
        "summary": selectors.fourw_summary(rows),
        "query": page_query(request),
        "filtered": bool(applied),
        "is_reviewer": has_perm(request.user, Perm.ACTIVITY_REVIEW),
    }
    return render(request, "activities/reporting/fourw_matrix.html", context)


def _export(request, fmt: str):
    _form, activities, applied = _fourw(request)
    content, _count = exports.fourw_export(
        user=request.user, activities=activities, fmt=fmt, filters=applied, request=request
    )
    content_type = exports.XLSX_TYPE if fmt == "xlsx" else exports.CSV_TYPE
    response = HttpResponse(content, content_type=content_type)
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="sentinelle-4w-{stamp}.{fmt}"'
    return response


@require_perm(Perm.FOURW_VIEW)
@analysis_view
def fourw_export_xlsx(request):
    return _export(request, "xlsx")


@require_perm(Perm.FOURW_VIEW)
@analysis_view
def fourw_export_csv(request):
    return _export(request, "csv")
