"""Reads of reports: readers see published versions only; editors (REPORT_EDIT in scope) their drafts."""

from dataclasses import dataclass

from django.http import Http404

from sentinelle.activities.models import ResultsFramework
from sentinelle.core.disclosure import Audience
from sentinelle.core.permissions import (
    Perm,
    get_object_for_user,
    has_perm,
    organisations_in_scope,
    scope_queryset,
)
from sentinelle.reports.models import Report, ReportVersion


def _base():
    return Report.objects.filter(is_archived=False).select_related(
        "organisation", "area", "framework", "current_version", "published_version", "published_by"
    )


def published_reports(*, user):
    return scope_queryset(user, _base(), Perm.REPORT_VIEW).filter(published_version__isnull=False)


def editable_reports(*, user):
    return scope_queryset(user, _base(), Perm.REPORT_EDIT)


@dataclass
class ReportAccess:
    report: Report
    version: ReportVersion
    editor: bool
    audience: Audience

    @property
    def is_published_version(self) -> bool:
        return self.version.pk == self.report.published_version_id


def report_get(*, user, public_id, request=None, published: bool = False) -> ReportAccess:
    """The report with the version the user may read: editors the current one (or the published one
    when asked), readers the published one; 404 alike otherwise."""
    report = editable_reports(user=user).filter(public_id=public_id).first()
    editor = report is not None
    if report is None:
        report = get_object_for_user(
            user,
            _base().filter(published_version__isnull=False),
            public_id,
            Perm.REPORT_VIEW,
            request=request,
        )
    version = report.current_version if (editor and not published) else report.published_version
    if version is None:
        raise Http404
    return ReportAccess(
        report=report, version=version, editor=editor, audience=audience_for(user, report, version)
    )


def report_get_for_edit(*, user, public_id, request=None) -> Report:
    return get_object_for_user(user, _base(), public_id, Perm.REPORT_EDIT, request=request)


def audience_for(user, report: Report, version: ReportVersion) -> Audience:
    """A published version is public whoever reads it; a draft shows exact figures (marked) to analysts."""
    if version.pk == report.published_version_id:
        return Audience.PUBLIC
    return Audience.ANALYST if has_perm(user, Perm.STATS_EXACT) else Audience.PUBLIC


def frameworks_for_reports(*, user):
    """The results frameworks the user may report on: every one for the IMO, else their organisations'."""
    frameworks = ResultsFramework.objects.filter(is_archived=False).select_related("programme")
    scope = organisations_in_scope(user, Perm.REPORT_EDIT)
    if scope is None:
        return frameworks
    from django.db.models import Q

    return frameworks.filter(
        Q(programme__lead_organisation__in=scope) | Q(programme__isnull=True, owner_organisation__in=scope)
    )


def may_write_monthly(user) -> bool:
    return organisations_in_scope(user, Perm.REPORT_EDIT) is None and has_perm(user, Perm.REPORT_EDIT)


def versions_of(report: Report):
    return report.versions.select_related("created_by").order_by("-number")
