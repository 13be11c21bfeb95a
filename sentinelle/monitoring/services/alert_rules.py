"""Alert rules: what counts, where, over how many days, from what threshold (the evaluation: alerts.py).

A rule is checked whole before it is saved, so that the evaluation never meets a rule it cannot apply.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sentinelle.core.audit import audit_record
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, ensure
from sentinelle.monitoring.models import AlertRule, Category, ViolationType

RULE_FIELDS = {
    "name",
    "subject",
    "is_active",
    "kind",
    "categories",
    "violation_types",
    "area",
    "area_level",
    "metric",
    "threshold",
    "window_days",
    "webhook_url",
}


def _rule_clean(rule: AlertRule) -> None:
    errors: dict[str, list[str]] = {}
    unknown = [c for c in rule.categories if c not in Category.values]
    if unknown:
        errors["categories"] = [_("Unknown categories: %(codes)s.") % {"codes": ", ".join(map(str, unknown))}]
    unknown = [v for v in rule.violation_types if v not in ViolationType.values]
    if unknown:
        errors["violation_types"] = [
            _("Unknown grave violations: %(codes)s.") % {"codes": ", ".join(map(str, unknown))}
        ]
    if rule.area is not None and rule.area.level > rule.area_level:
        errors["area_level"] = [_("Count per area at the level of the chosen area or below it.")]
    if rule.kind == AlertRule.Kind.ALWAYS and rule.metric == AlertRule.Metric.EVENTS and rule.threshold != 1:
        errors["threshold"] = [_("An incident is one event: use a threshold of 1, or count victims.")]
    if rule.subject == AlertRule.Subject.DISPLACEMENT:
        if rule.metric not in (AlertRule.Metric.DISPLACED, AlertRule.Metric.EVENTS):
            errors["metric"] = [_("Displacement rules count people displaced or events.")]
        if rule.categories or rule.violation_types:
            errors["categories"] = [_("Displacement rules have no incident category.")]
    elif rule.metric == AlertRule.Metric.DISPLACED:
        errors["metric"] = [_("People displaced are counted by displacement rules only.")]
    if rule.kind == AlertRule.Kind.THRESHOLD and not rule.window_days:
        errors["window_days"] = [_("The window must last at least one day.")]
    try:
        rule.full_clean()
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _rule_assign(rule: AlertRule, fields: dict) -> None:
    unknown = set(fields) - RULE_FIELDS
    if unknown:
        raise ValueError(f"Cannot set {sorted(unknown)} on a rule.")
    for name, value in fields.items():
        if name in ("categories", "violation_types"):
            value = sorted(set(value or []))
        setattr(rule, name, value)


def alert_rule_create(*, actor, request=None, **fields) -> AlertRule:
    ensure(actor, Perm.ALERT_RULE_MANAGE, request=request)
    rule = AlertRule(created_by=actor, updated_by=actor)
    _rule_assign(rule, fields)
    _rule_clean(rule)
    with transaction.atomic():
        rule.save()
        audit_record(action=AuditAction.CREATE, user=actor, obj=rule, request=request)
    return rule


def alert_rule_update(*, actor, rule: AlertRule, request=None, **fields) -> AlertRule:
    ensure(actor, Perm.ALERT_RULE_MANAGE, rule, request=request)
    _rule_assign(rule, fields)
    rule.updated_by = actor
    _rule_clean(rule)
    with transaction.atomic():
        rule.save()
        audit_record(
            action=AuditAction.UPDATE,
            user=actor,
            obj=rule,
            request=request,
            detail={"fields": sorted(fields)},
        )
    return rule


def alert_rule_archive(*, actor, rule: AlertRule, request=None) -> AlertRule:
    """Archived rules stop firing; their alerts stay."""
    ensure(actor, Perm.ALERT_RULE_MANAGE, rule, request=request)
    with transaction.atomic():
        rule.is_archived = True
        rule.is_active = False
        rule.updated_by = actor
        rule.save(update_fields=["is_archived", "is_active", "updated_by", "updated_at"])
        audit_record(action=AuditAction.ARCHIVE, user=actor, obj=rule, request=request)
    return rule
