"""Writes of reports: generate (a new report, or fresh figures for an existing draft), edit the narrative
(a new version), publish (the current version becomes the one readers see). One transaction and one audit
entry each; the monthly analysis is the IMO's (global REPORT_EDIT), a quarterly report its programme's
lead organisation's (its manager) or the IMO's.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sentinelle.core import validation
from sentinelle.core.audit import audit_record
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import (
    Perm,
    ensure,
    home_organisation,
    may_act_for,
    organisations_in_scope,
    refuse,
)
from sentinelle.core.validation import Errors
from sentinelle.reports import analysis, quarterly
from sentinelle.reports.models import Report, ReportKind, ReportStatus, ReportVersion

MAX_NARRATIVE = 20_000


def author_organisation(actor, *, kind: str, framework=None):
    """The organisation a new report is written for, or None when the actor may not write it."""
    if kind == ReportKind.MONTHLY_ANALYSIS:
        # The cluster's analysis: written by those whose grant reaches every organisation.
        if organisations_in_scope(actor, Perm.REPORT_EDIT) is not None:
            return None
        return home_organisation(actor, Perm.REPORT_EDIT)
    programme = framework.programme if framework is not None else None
    owner = programme.lead_organisation if programme is not None else framework.owner_organisation
    return owner if may_act_for(actor, Perm.REPORT_EDIT, organisation=owner) else None


def _figures(kind, *, start, end, area, framework, actor):
    if kind == ReportKind.MONTHLY_ANALYSIS:
        figures = analysis.monthly_figures(start=start, end=end, area=area, user=actor)
        return figures, analysis.prefilled_narrative(figures)
    figures = quarterly.quarterly_figures(framework=framework, start=start, end=end)
    return figures, quarterly.prefilled_narrative(figures)


def _new_version(report: Report, *, actor, figures: dict, narrative: dict) -> ReportVersion:
    number = (report.current_version.number if report.current_version_id else 0) + 1
    version = ReportVersion.objects.create(
        report=report, number=number, figures=figures, narrative=narrative, created_by=actor
    )
    report.current_version = version
    report.status = ReportStatus.DRAFT
    report.updated_by = actor
    report.save()
    return version


def report_generate(
    *,
    actor,
    kind: str,
    period_start: datetime.date,
    period_end: datetime.date,
    area=None,
    framework=None,
    request=None,
) -> Report:
    """A report for the period with freshly computed figures (version 1), or, when the same report
    exists, its next version with fresh figures and the narrative kept."""
    errors = Errors()
    if kind not in ReportKind.values:
        errors.add(None, _("Unknown kind of report."))
    elif kind == ReportKind.PROGRAMME_QUARTERLY and framework is None:
        errors.add("framework", _("Choose a results framework."))
    if period_end < period_start:
        errors.add(None, _("The end of the period is before its start."))
    errors.raise_if_any()
    organisation = author_organisation(actor, kind=kind, framework=framework)
    if organisation is None:
        refuse(actor, Perm.REPORT_EDIT, object_type="reports.report", request=request, detail={"kind": kind})
    # One report per kind, period, area and framework: generating it again makes its next version.
    identity = {
        "kind": kind,
        "period_start": period_start,
        "period_end": period_end,
        "area": area,
        "framework": framework if kind == ReportKind.PROGRAMME_QUARTERLY else None,
    }
    existing = Report.objects.filter(**identity, is_archived=False).select_related("current_version").first()
    if existing is not None:
        ensure(actor, Perm.REPORT_EDIT, existing, request=request)
    figures, narrative = _figures(
        kind, start=period_start, end=period_end, area=area, framework=framework, actor=actor
    )
    with transaction.atomic():
        if existing is None:
            if kind == ReportKind.MONTHLY_ANALYSIS:
                title = analysis.monthly_title(period_start, area)
            else:
                title = quarterly.quarterly_title(framework, period_start, period_end)
            report = Report.objects.create(
                **identity, title=title, organisation=organisation, created_by=actor, updated_by=actor
            )
        else:
            report = existing
            narrative = {**narrative, **(report.current_version.narrative if report.current_version else {})}
        version = _new_version(report, actor=actor, figures=figures, narrative=narrative)
        audit_record(
            action=AuditAction.CREATE if existing is None else AuditAction.UPDATE,
            user=actor,
            obj=report,
            request=request,
            detail={"kind": kind, "version": version.number, "event": "generate"},
        )
    return report


def report_narrative_update(*, actor, report: Report, narrative: dict, request=None) -> Report:
    """Save the narrative as a new version (the figures of the current version are kept as frozen)."""
    ensure(actor, Perm.REPORT_EDIT, report, request=request)
    current = report.current_version
    known = set(current.narrative) | {section["key"] for section in current.figures.get("sections", [])}
    errors = Errors()
    unknown = set(narrative) - known
    if unknown:
        errors.add(None, _("Unknown section: %(name)s.") % {"name": ", ".join(sorted(unknown))})
    cleaned = {key: (narrative.get(key, current.narrative.get(key, "")) or "").strip() for key in known}
    if any(len(text) > MAX_NARRATIVE for text in cleaned.values()):
        errors.add(None, _("A section's text is too long."))
    errors.raise_if_any()
    if cleaned == {key: current.narrative.get(key, "") for key in known}:
        return report
    changed = sorted(key for key in known if cleaned[key] != current.narrative.get(key, ""))
    with transaction.atomic():
        version = _new_version(report, actor=actor, figures=current.figures, narrative=cleaned)
        audit_record(
            action=AuditAction.UPDATE,
            user=actor,
            obj=report,
            request=request,
            detail={"event": "narrative", "sections": changed, "version": version.number},
        )
    return report


def report_publish(*, actor, report: Report, request=None) -> Report:
    """The current version becomes the published one, frozen; later edits start the next version."""
    ensure(actor, Perm.REPORT_EDIT, report, request=request)
    if report.current_version_id is None:
        validation.refuse(_("This report has no version to publish."))
    if report.published_version_id == report.current_version_id:
        validation.refuse(_("This version is already published; edit the narrative to start the next one."))
    with transaction.atomic():
        report.published_version_id = report.current_version_id
        report.status = ReportStatus.PUBLISHED
        report.published_at = timezone.now()
        report.published_by = actor
        report.updated_by = actor
        report.save()
        audit_record(
            action=AuditAction.UPDATE,
            user=actor,
            obj=report,
            request=request,
            detail={"event": "publish", "version": report.current_version.number},
        )
    return report
