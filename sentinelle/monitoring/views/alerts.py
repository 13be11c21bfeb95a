"""Alert pages: rules (the cluster IMO), alerts and their flash reports (IMO, managers), followed areas.

Views parse, authorise (the decorators, then the selectors' scoped fetches, 404 alike) and call the
selectors and services; every rule is in the services.
"""

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sentinelle.core.audit import audit_record
from sentinelle.core.forms import errors_shown_as_messages, errors_shown_on
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, has_perm, require_perm
from sentinelle.geography.selectors import area_get
from sentinelle.monitoring.flash_pdf import flash_report_pdf as render_pdf
from sentinelle.monitoring.forms.alerts import AlertRuleForm, AreaFollowForm, FlashReportForm
from sentinelle.monitoring.models import Alert, Category, FlashReport, ViolationType
from sentinelle.monitoring.selectors import alerts as selectors
from sentinelle.monitoring.services import alert_actions as services
from sentinelle.monitoring.services import alert_rules, flash_reports

PAGE_SIZE = 50


def _uuid(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Http404 from None


# --- Rules ---------------------------------------------------------------------------------------


@require_perm(Perm.ALERT_VIEW)
def alert_rule_list(request):
    rules = list(selectors.alert_rule_list(user=request.user))
    for rule in rules:
        rule.labels = [Category(code).label for code in rule.categories if code in Category.values]
        rule.labels += [
            ViolationType(code).label for code in rule.violation_types if code in ViolationType.values
        ]
    can_manage = has_perm(request.user, Perm.ALERT_RULE_MANAGE)
    return render(request, "monitoring/alerts/rule_list.html", {"rules": rules, "can_manage": can_manage})


@require_perm(Perm.ALERT_RULE_MANAGE)
@require_http_methods(["GET", "POST"])
def alert_rule_create(request):
    form = AlertRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with errors_shown_on(form):
            alert_rules.alert_rule_create(actor=request.user, request=request, **form.cleaned_data)
            messages.success(request, _("The alert rule is saved."))
            return redirect("monitoring:alert-rule-list")
    return render(request, "monitoring/alerts/rule_form.html", {"form": form, "rule": None})


@require_perm(Perm.ALERT_RULE_MANAGE)
@require_http_methods(["GET", "POST"])
def alert_rule_edit(request, public_id):
    rule = selectors.alert_rule_get(user=request.user, public_id=public_id, request=request)
    form = AlertRuleForm(request.POST or None, initial=AlertRuleForm.initial_for(rule))
    if request.method == "POST" and form.is_valid():
        with errors_shown_on(form):
            alert_rules.alert_rule_update(actor=request.user, rule=rule, request=request, **form.cleaned_data)
            messages.success(request, _("The alert rule is saved."))
            return redirect("monitoring:alert-rule-list")
    return render(request, "monitoring/alerts/rule_form.html", {"form": form, "rule": rule})


@require_perm(Perm.ALERT_RULE_MANAGE)
@require_POST
def alert_rule_archive(request, public_id):
    rule = selectors.alert_rule_get(user=request.user, public_id=public_id, request=request)
    alert_rules.alert_rule_archive(actor=request.user, rule=rule, request=request)
    messages.success(request, _("The alert rule is archived: it no longer fires."))
    return redirect("monitoring:alert-rule-list")


# --- Alerts --------------------------------------------------------------------------------------


@require_perm(Perm.ALERT_VIEW)
def alert_list(request):
    status = request.GET.get("status", "")
    alerts = selectors.alert_list(user=request.user, status=status)
    page = Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "status": status, "statuses": Alert.Status.choices}
    return render(request, "monitoring/alerts/alert_list.html", context)


@require_perm(Perm.ALERT_VIEW)
def alert_detail(request, public_id):
    user = request.user
    alert = selectors.alert_get(user=user, public_id=public_id, request=request)
    incidents, hidden_count = selectors.alert_incidents(user=user, alert=alert)
    context = {
        "alert": alert,
        "report": getattr(alert, "flash_report", None),
        "incidents": incidents,
        "hidden_count": hidden_count,
        "can_edit_report": has_perm(user, Perm.FLASH_REPORT_EDIT),
        "can_manage_rules": has_perm(user, Perm.ALERT_RULE_MANAGE),
    }
    return render(request, "monitoring/alerts/alert_detail.html", context)


def _alert_action(request, public_id, service, done_message):
    alert = selectors.alert_get(user=request.user, public_id=public_id, request=request)
    with errors_shown_as_messages(request):
        service(actor=request.user, alert=alert, request=request)
        messages.success(request, done_message)
    return redirect("monitoring:alert-detail", public_id=alert.public_id)


@require_perm(Perm.ALERT_VIEW)
@require_POST
def alert_acknowledge(request, public_id):
    return _alert_action(request, public_id, services.alert_acknowledge, _("The alert is acknowledged."))


@require_perm(Perm.ALERT_VIEW)
@require_POST
def alert_close(request, public_id):
    return _alert_action(request, public_id, services.alert_close, _("The alert is closed."))


# --- Flash reports -------------------------------------------------------------------------------


@require_perm(Perm.FLASH_REPORT_EDIT)
@require_http_methods(["GET", "POST"])
def flash_report_edit(request, public_id):
    report = selectors.flash_report_get(
        user=request.user, public_id=public_id, perm=Perm.FLASH_REPORT_EDIT, request=request
    )
    report = flash_reports.flash_report_refresh(report=report)
    form = FlashReportForm(
        request.POST or None,
        initial=FlashReportForm.initial_for(report),
        suggested_needs=(report.figures or {}).get("suggested_needs", ""),
    )
    # One form, two buttons (name="action"): publishing saves what was typed first, so a refusal shows the
    # reasons next to the text instead of losing it.
    if request.method == "POST" and form.is_valid():
        publish = request.POST.get("action") == "publish"
        with errors_shown_on(form):
            flash_reports.flash_report_save(
                actor=request.user, report=report, publish=publish, request=request, **form.cleaned_data
            )
            if publish:
                done = _("Version %(version)s of the flash report is published.") % {
                    "version": report.version
                }
            else:
                done = _("The flash report is saved.")
            messages.success(request, done)
            return redirect("monitoring:flash-report-edit", public_id=report.public_id)
    context = {"form": form, "report": report, "alert": report.alert}
    return render(request, "monitoring/alerts/flash_report_form.html", context)


@require_perm(Perm.ALERT_VIEW)
def flash_report_pdf(request, public_id):
    report = selectors.flash_report_get(user=request.user, public_id=public_id, request=request)
    report = flash_reports.flash_report_refresh(report=report)
    content = render_pdf(report)
    audit_record(
        action=AuditAction.EXPORT,
        user=request.user,
        obj=report,
        request=request,
        detail={"format": "pdf", "version": report.version, "status": report.status},
    )
    response = HttpResponse(content, content_type="application/pdf")
    suffix = "" if report.status == FlashReport.Status.PUBLISHED else "-brouillon"
    place = report.alert.area.pcode if report.alert else "sentinelle"
    filename = f"rapport-flash-{place}-v{report.version}{suffix}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# --- Followed areas ------------------------------------------------------------------------------


@require_perm(Perm.AREA_FOLLOW)
@require_http_methods(["GET", "POST"])
def area_follow_list(request):
    form = AreaFollowForm(request.POST if request.POST.get("action") == "follow" else None)
    if request.method == "POST" and request.POST.get("action") == "unfollow":
        area = area_get(user=request.user, public_id=_uuid(request.POST.get("area")), request=request)
        services.area_unfollow(actor=request.user, area=area, request=request)
        messages.success(request, _("You no longer follow %(area)s.") % {"area": area.name_fr})
        return redirect("monitoring:area-follow-list")
    if form.is_bound and form.is_valid():
        area = form.cleaned_data["area"]
        services.area_follow(actor=request.user, area=area, request=request)
        messages.success(request, _("You now follow %(area)s.") % {"area": area.name_fr})
        return redirect("monitoring:area-follow-list")
    follows = selectors.area_follow_list(user=request.user)
    return render(request, "monitoring/alerts/area_follow_list.html", {"form": form, "follows": follows})
