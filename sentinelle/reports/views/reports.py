"""Pages of the reports: the published reports, generating, reading, editing the narrative, publishing,
and the PDF and XLSX downloads (audited)."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sentinelle.core.audit import audit_record
from sentinelle.core.db_routing import analysis_view
from sentinelle.core.forms import errors_shown_as_messages, errors_shown_on
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, has_perm, require_perm
from sentinelle.monitoring.flash_pdf import flash_report_pdf
from sentinelle.monitoring.selectors.alerts import flash_report_published_get, flash_reports_published
from sentinelle.reports import selectors, services
from sentinelle.reports.forms.reports import MonthlyForm, NarrativeForm, QuarterlyForm
from sentinelle.reports.models import ReportKind
from sentinelle.reports.pdf_reports import report_context, report_pdf
from sentinelle.reports.xlsx_reports import CONTENT_TYPE, report_xlsx


@require_perm(Perm.REPORT_VIEW)
@analysis_view
def report_list(request):
    published = list(selectors.published_reports(user=request.user).order_by("-published_at")[:200])
    drafts = list(selectors.editable_reports(user=request.user).order_by("-updated_at")[:200])
    return render(
        request,
        "reports/reports/report_list.html",
        {
            "published": published,
            "flash_reports": list(flash_reports_published(user=request.user)[:100]),
            "drafts": drafts,
            "may_write_monthly": selectors.may_write_monthly(request.user),
            "may_write_quarterly": has_perm(request.user, Perm.REPORT_EDIT)
            and selectors.frameworks_for_reports(user=request.user).exists(),
        },
    )


def _generate(request, form, *, heading: str, kind: str, period: str, **fields):
    """Generate the report of `kind` for the form's `period` (its first and last day), the service's other
    arguments taken from the form fields named in `fields`; a refusal shows on the form."""
    if request.method == "POST" and form.is_valid():
        start, end = form.cleaned_data[period]
        with errors_shown_on(form):
            report = services.report_generate(
                actor=request.user,
                kind=kind,
                period_start=start,
                period_end=end,
                request=request,
                **{argument: form.cleaned_data[field] for argument, field in fields.items()},
            )
            messages.success(
                request,
                _("Version %(number)s of the report is ready.") % {"number": report.current_version.number},
            )
            return redirect("reports:report-detail", public_id=report.public_id)
    return render(request, "reports/reports/generate.html", {"form": form, "heading": heading})


@require_perm(Perm.REPORT_EDIT)
def monthly_generate(request):
    return _generate(
        request,
        MonthlyForm(request.POST or None),
        heading=_("Generate the monthly protection analysis"),
        kind=ReportKind.MONTHLY_ANALYSIS,
        period="month",
        area="region",
    )


@require_perm(Perm.REPORT_EDIT)
def quarterly_generate(request):
    return _generate(
        request,
        QuarterlyForm(request.POST or None, frameworks=selectors.frameworks_for_reports(user=request.user)),
        heading=_("Generate a quarterly programme report"),
        kind=ReportKind.PROGRAMME_QUARTERLY,
        period="period",
        framework="framework",
    )


@require_perm(Perm.REPORT_VIEW)
@analysis_view
def report_detail(request, public_id):
    access = selectors.report_get(
        user=request.user,
        public_id=public_id,
        request=request,
        published=request.GET.get("version") == "published",
    )
    context = report_context(access.report, access.version, audience=access.audience)
    context.update(
        {
            "access": access,
            "versions": selectors.versions_of(access.report) if access.editor else [],
        }
    )
    return render(request, "reports/reports/report_detail.html", context)


def _sections(version) -> list[tuple[str, str]]:
    sections = [(s["key"], s["title"]) for s in version.figures.get("sections", [])]
    if version.report.kind == ReportKind.PROGRAMME_QUARTERLY:
        sections = [("overview", _("Main results")), *[(key, f"{key} {title}") for key, title in sections]]
    return sections


@require_perm(Perm.REPORT_EDIT)
def report_narrative(request, public_id):
    report = selectors.report_get_for_edit(user=request.user, public_id=public_id, request=request)
    version = report.current_version
    form = NarrativeForm(request.POST or None, sections=_sections(version), narrative=version.narrative)
    if request.method == "POST" and form.is_valid():
        with errors_shown_on(form):
            services.report_narrative_update(
                actor=request.user, report=report, narrative=form.cleaned_data, request=request
            )
            messages.success(request, _("The narrative is saved as a new version."))
            return redirect("reports:report-detail", public_id=report.public_id)
    return render(
        request, "reports/reports/narrative.html", {"form": form, "report": report, "version": version}
    )


@require_POST
@require_perm(Perm.REPORT_EDIT)
def report_publish(request, public_id):
    report = selectors.report_get_for_edit(user=request.user, public_id=public_id, request=request)
    with errors_shown_as_messages(request):
        services.report_publish(actor=request.user, report=report, request=request)
        messages.success(
            request, _("Version %(number)s is published.") % {"number": report.current_version.number}
        )
    return redirect("reports:report-detail", public_id=report.public_id)


def _download(request, public_id, fmt: str):
    access = selectors.report_get(
        user=request.user,
        public_id=public_id,
        request=request,
        published=request.GET.get("version") == "published",
    )
    report, version = access.report, access.version
    if fmt == "pdf":
        content, content_type = report_pdf(report, version, audience=access.audience), "application/pdf"
    else:
        content, content_type = report_xlsx(report, version, audience=access.audience), CONTENT_TYPE
    audit_record(
        action=AuditAction.EXPORT,
        user=request.user,
        obj=report,
        request=request,
        detail={"format": fmt, "version": version.number, "audience": str(access.audience)},
    )
    response = HttpResponse(content, content_type=content_type)
    suffix = "" if access.is_published_version else "-brouillon"
    name = "analyse-mensuelle" if report.kind == ReportKind.MONTHLY_ANALYSIS else "rapport-trimestriel"
    filename = f"{name}-{report.period_start:%Y-%m}-v{version.number}{suffix}.{fmt}"
    disposition = "inline" if fmt == "pdf" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


@require_perm(Perm.REPORT_VIEW)
@analysis_view
def report_pdf_download(request, public_id):
    return _download(request, public_id, "pdf")


@require_perm(Perm.REPORT_VIEW)
@analysis_view
def report_xlsx_download(request, public_id):
    return _download(request, public_id, "xlsx")


@require_perm(Perm.REPORT_VIEW)
@analysis_view
def flash_report_pdf_download(request, public_id):
    """A published flash report as PDF, for every reader of reports (drafts stay with the IMO)."""
    report = flash_report_published_get(user=request.user, public_id=public_id, request=request)
    content = flash_report_pdf(report)
    audit_record(
        action=AuditAction.EXPORT,
        user=request.user,
        obj=report,
        request=request,
        detail={"format": "pdf", "version": report.version, "status": report.status},
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="rapport-flash-{report.public_id}.pdf"'
    return response
