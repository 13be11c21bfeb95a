"""Flash reports: the IMO completes the draft an alert opened, then publishes it (new version each time)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sentinelle.core.audit import audit_record
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, ensure
from sentinelle.core.validation import NON_FIELD, Errors
from sentinelle.monitoring.models import AlertRule, FlashReport

# --- -------------------------------------------------------------------------------

FLASH_REPORT_FIELDS = {
    "title",
    "what",
    "where",
    "when",
    "victims",
    "displacement",
    "perpetrators",
    "immediate_needs",
    "response",
}


def flash_report_update(*, actor, report: FlashReport, request=None, **fields) -> FlashReport:
    """Edit the text; editing a published report starts its next version (a draft until published)."""
    ensure(actor, Perm.FLASH_REPORT_EDIT, report, request=request)
    report = flash_report_refresh(report=report)  # the text edited is the draft as it reads now
    unknown = set(fields) - FLASH_REPORT_FIELDS
    if unknown:
        raise ValueError(f"Cannot change {sorted(unknown)} on a flash report.")
    if not str(fields.get("title", report.title)).strip():
        raise ValidationError({"title": [_("A flash report needs a title.")]})
    changed = {
        name: (value or "").strip()
        for name, value in fields.items()
        if (value or "").strip() != getattr(report, name)
    }
    if not changed:
        return report
    revised = report.status == FlashReport.Status.PUBLISHED
    with transaction.atomic():
        for name, value in changed.items():
            setattr(report, name, value)
        if revised:
            report.status = FlashReport.Status.DRAFT
            report.version += 1
        report.updated_by = actor
        report.stale = False  # the text is now the IMO's: no longer written from the incidents
        report.save()
        audit_record(
            action=AuditAction.UPDATE,
            user=actor,
            obj=report,
            request=request,
            detail={"fields": sorted(changed), "version": report.version, "revision": revised},
        )
    return report


def flash_report_publish(*, actor, report: FlashReport, request=None) -> FlashReport:
    ensure(actor, Perm.FLASH_REPORT_EDIT, report, request=request)
    report = flash_report_refresh(report=report)  # what is published is the draft as it reads now
    if report.status == FlashReport.Status.PUBLISHED:
        raise ValidationError(_("This version is already published; edit the report to start the next one."))
    if not report.immediate_needs.strip():
        raise ValidationError(
            {
                "immediate_needs": [
                    _("Describe the immediate needs before publishing (or write “none known”).")
                ]
            }
        )
    with transaction.atomic():
        report.status = FlashReport.Status.PUBLISHED
        report.published_at = timezone.now()
        report.published_by = actor
        report.updated_by = actor
        report.stale = False  # the text is now the IMO's: no longer written from the incidents
        report.save()
        audit_record(
            action=AuditAction.UPDATE,
            user=actor,
            obj=report,
            request=request,
            detail={"status": "published", "version": report.version},
        )
    return report


def flash_report_save(*, actor, report: FlashReport, publish: bool, request=None, **fields) -> FlashReport:
    """The edit page's two buttons: save the text, then publish it if asked.

    The text is saved first (its own transaction), so a refused publication keeps what was typed: the
    refusal says so on top, with the reasons, and each reason also goes next to its field.
    """
    report = flash_report_update(actor=actor, report=report, request=request, **fields)
    if not publish:
        return report
    try:
        return flash_report_publish(actor=actor, report=report, request=request)
    except ValidationError as error:
        errors = Errors()
        errors.add(
            NON_FIELD,
            _("Your text is saved as a draft, but it is not published: %(reasons)s")
            % {"reasons": " ".join(error.messages)},
        )
        if hasattr(error, "error_dict"):
            errors.merge(error)
        raise ValidationError(errors.as_dict()) from error


def flash_report_refresh(*, report: FlashReport) -> FlashReport:
    """An untouched draft whose alert gained incidents (`stale`), written again from them before it is
    shown or printed; any other report is returned as it is. Checked again under a lock: two readers
    write it once, and a draft the IMO edited meanwhile keeps the IMO's text."""
    if not report.stale:
        return report
    from sentinelle.monitoring.services.flash_content import flash_report_drafts

    with transaction.atomic():
        locked = (
            FlashReport.objects.select_for_update(of=("self",))
            .select_related("alert", "alert__rule", "alert__area")
            .get(pk=report.pk)
        )
        untouched = (
            locked.status == FlashReport.Status.DRAFT
            and locked.updated_by_id is None
            and locked.alert is not None
            and locked.alert.rule.subject == AlertRule.Subject.INCIDENTS
        )
        fields = ["stale"]
        if locked.stale and untouched:
            contents = flash_report_drafts([locked.alert])[locked.alert.pk]
            for name, value in contents.items():
                setattr(report, name, value)
            fields += [*contents, "updated_at"]
        report.stale = False
        report.save(update_fields=fields)
        if len(fields) > 1:
            audit_record(action=AuditAction.UPDATE, obj=report, detail={"written_from_incidents": True})
    return report
