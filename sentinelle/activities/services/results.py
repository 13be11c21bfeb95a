"""Writes of results frameworks: frameworks, results (nodes), indicators, targets and manual values.

INDICATOR_EDIT reaches a framework (and everything in it) through its owner organisation; the IMO and
administrators reach every one. A refusal is audited and writes nothing. A computed indicator's
computation is validated here as in the form (French messages from activities/computations.py). A manual
value needs its evidence; a correction is a new entry (the latest entered for a period wins), so that
the history of what was reported stays.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from sentinelle.activities import computations
from sentinelle.activities.models import (
    Disaggregation,
    Indicator,
    IndicatorSource,
    IndicatorTarget,
    IndicatorUnit,
    IndicatorValue,
    NodeLevel,
    ResultNode,
    ResultsFramework,
)
from sentinelle.core.audit import audit_record
from sentinelle.core.figure_cache import figures_changed
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, ensure
from sentinelle.core.validation import Errors

FRAMEWORK_FIELDS = (
    "code",
    "name",
    "programme",
    "owner_organisation",
    "start_date",
    "end_date",
    "description",
)
NODE_FIELDS = ("parent", "level", "code", "title_fr", "title_en", "order")
INDICATOR_FIELDS = (
    "node",
    "code",
    "name_fr",
    "name_en",
    "unit",
    "baseline",
    "source",
    "computation",
    "disaggregations",
    "means_of_verification",
    "order",
)
PARENT_LEVEL = {
    NodeLevel.OBJECTIVE: None,
    NodeLevel.OUTCOME: NodeLevel.OBJECTIVE,
    NodeLevel.OUTPUT: NodeLevel.OUTCOME,
}


def _require_owner(actor, organisation, *, request=None) -> None:
    """The actor keeps the results frameworks of `organisation` (before one exists, or moving one)."""
    ensure(
        actor,
        Perm.INDICATOR_EDIT,
        organisation=organisation,
        request=request,
        message=_("You may not edit the results frameworks of this organisation."),
        object_type="activities.resultsframework",
    )


def _changed(obj, values: dict) -> list[str]:
    return [name for name, value in values.items() if getattr(obj, name) != value]


def _save_changes(obj, values: dict, *, actor, request=None):
    """Write the validated values on the locked row, with one audit entry naming what changed (if any)."""
    with transaction.atomic():
        obj = type(obj).objects.select_for_update().get(pk=obj.pk)
        changed = _changed(obj, values)
        if not changed:
            return obj
        for name, value in values.items():
            setattr(obj, name, value)
        obj.updated_by = actor
        obj.save()
        audit_record(
            action=AuditAction.UPDATE, user=actor, obj=obj, request=request, detail={"changed": changed}
        )
        figures_changed("activities")
    return obj


# --- Frameworks -----------------------------------------------------------------------------------


def _check_framework(errors: Errors, values: dict, *, instance=None) -> None:
    if not (values.get("code") or "").strip():
        errors.add("code", _("Give the framework a code."))
    elif (
        ResultsFramework.objects.filter(code=values["code"])
        .exclude(pk=getattr(instance, "pk", None))
        .exists()
    ):
        errors.add("code", _("Another results framework has this code."))
    if not (values.get("name") or "").strip():
        errors.add("name", _("Give the framework a name."))
    start, end = values.get("start_date"), values.get("end_date")
    if start is None or end is None:
        errors.add("end_date", _("Give the framework's start and end."))
    elif end < start:
        errors.add("end_date", _("The end comes before the start."))


def framework_create(*, actor, request=None, **values) -> ResultsFramework:
    _require_owner(actor, values.get("owner_organisation"), request=request)
    values = {name: values.get(name) for name in FRAMEWORK_FIELDS}
    values["description"] = values["description"] or ""
    errors = Errors()
    _check_framework(errors, values)
    errors.raise_if_any()
    with transaction.atomic():
        framework = ResultsFramework.objects.create(**values, created_by=actor, updated_by=actor)
        audit_record(
            action=AuditAction.CREATE,
            user=actor,
            obj=framework,
            request=request,
            detail={"code": framework.code},
        )
        figures_changed("activities")
    return framework


def framework_update(*, actor, framework: ResultsFramework, request=None, **values) -> ResultsFramework:
    ensure(actor, Perm.INDICATOR_EDIT, framework, request=request)
    values = {name: values.get(name, getattr(framework, name)) for name in FRAMEWORK_FIELDS}
    values["description"] = values["description"] or ""
    if values["owner_organisation"] != framework.owner_organisation:
        _require_owner(actor, values["owner_organisation"], request=request)
    errors = Errors()
    _check_framework(errors, values, instance=framework)
    errors.raise_if_any()
    return _save_changes(framework, values, actor=actor, request=request)


# --- Results (nodes) ------------------------------------------------------------------------------


def _check_node(errors: Errors, framework, values: dict, *, instance=None) -> None:
    if not (values.get("code") or "").strip():
        errors.add("code", _("Give the result a code."))
    elif (
        ResultNode.objects.filter(framework=framework, code=values["code"])
        .exclude(pk=getattr(instance, "pk", None))
        .exists()
    ):
        errors.add("code", _("Another result of this framework has this code."))
    if not (values.get("title_fr") or "").strip():
        errors.add("title_fr", _("Give the result a French title."))
    level, parent = values.get("level"), values.get("parent")
    if level not in NodeLevel.values:
        errors.add("level", _("Choose a level."))
        return
    expected = PARENT_LEVEL[level]
    if expected is None and parent is not None:
        errors.add("parent", _("An objective is at the top of the framework: it has no parent."))
    elif expected is not None:
        if parent is None or parent.framework_id != framework.pk or parent.level != expected:
            errors.add(
                "parent",
                _("A result of this level hangs under a result of level “%(level)s” of the same framework.")
                % {"level": NodeLevel(expected).label},
            )
        elif instance is not None and parent.pk == instance.pk:
            errors.add("parent", _("A result cannot be its own parent."))


def node_create(*, actor, framework: ResultsFramework, request=None, **values) -> ResultNode:
    ensure(actor, Perm.INDICATOR_EDIT, framework, request=request)
    values = {name: values.get(name) for name in NODE_FIELDS}
    values["title_en"] = values["title_en"] or ""
    values["order"] = values["order"] or 0
    errors = Errors()
    _check_node(errors, framework, values)
    errors.raise_if_any()
    with transaction.atomic():
        node = ResultNode.objects.create(framework=framework, **values, created_by=actor, updated_by=actor)
        audit_record(
            action=AuditAction.CREATE,
            user=actor,
            obj=node,
            request=request,
            detail={"framework": framework.code},
        )
        figures_changed("activities")
    return node


def node_update(*, actor, node: ResultNode, request=None, **values) -> ResultNode:
    ensure(actor, Perm.INDICATOR_EDIT, node, request=request)
    values = {name: values.get(name, getattr(node, name)) for name in NODE_FIELDS}
    values["title_en"] = values["title_en"] or ""
    values["order"] = values["order"] or 0
    errors = Errors()
    _check_node(errors, node.framework, values, instance=node)
    errors.raise_if_any()
    return _save_changes(node, values, actor=actor, request=request)


# --- Indicators -----------------------------------------------------------------------------------


def _check_indicator(errors: Errors, framework, values: dict, *, instance=None) -> None:
    if not (values.get("code") or "").strip():
        errors.add("code", _("Give the indicator a code."))
    elif (
        Indicator.objects.filter(framework=framework, code=values["code"])
        .exclude(pk=getattr(instance, "pk", None))
        .exists()
    ):
        errors.add("code", _("Another indicator of this framework has this code."))
    if not (values.get("name_fr") or "").strip():
        errors.add("name_fr", _("Give the indicator a French name."))
    node = values.get("node")
    if node is None or node.framework_id != framework.pk:
        errors.add("node", _("Choose a result of this framework."))
    if values.get("unit") not in IndicatorUnit.values:
        errors.add("unit", _("Choose a unit."))
    unknown = [code for code in values.get("disaggregations") or [] if code not in Disaggregation.values]
    if unknown:
        errors.add("disaggregations", _("Unknown disaggregation: %(name)s.") % {"name": ", ".join(unknown)})
    source = values.get("source")
    if source == IndicatorSource.COMPUTED:
        problems = computations.computation_errors(
            values.get("computation"),
            disaggregations=[
                code for code in values.get("disaggregations") or [] if code in Disaggregation.values
            ],
            has_programme=framework.programme_id is not None,
        )
        for problem in problems:
            errors.add("computation", problem)
    elif source == IndicatorSource.MANUAL:
        if values.get("computation"):
            errors.add("computation", _("A manual indicator has no computation: leave it empty."))
    else:
        errors.add("source", _("Choose the source: computed or manual."))


def _indicator_values(values: dict, *, instance=None) -> dict:
    out = {name: values.get(name, getattr(instance, name) if instance else None) for name in INDICATOR_FIELDS}
    out["name_en"] = out["name_en"] or ""
    out["means_of_verification"] = out["means_of_verification"] or ""
    out["computation"] = out["computation"] or {}
    out["disaggregations"] = list(out["disaggregations"] or [])
    out["order"] = out["order"] or 0
    out["unit"] = out["unit"] or IndicatorUnit.NUMBER
    return out


def indicator_create(*, actor, framework: ResultsFramework, request=None, **values) -> Indicator:
    ensure(actor, Perm.INDICATOR_EDIT, framework, request=request)
    values = _indicator_values(values)
    errors = Errors()
    _check_indicator(errors, framework, values)
    errors.raise_if_any()
    with transaction.atomic():
        indicator = Indicator.objects.create(
            framework=framework, **values, created_by=actor, updated_by=actor
        )
        audit_record(
            action=AuditAction.CREATE,
            user=actor,
            obj=indicator,
            request=request,
            detail={"framework": framework.code, "code": indicator.code, "source": indicator.source},
        )
        figures_changed("activities")
    return indicator


def indicator_update(*, actor, indicator: Indicator, request=None, **values) -> Indicator:
    ensure(actor, Perm.INDICATOR_EDIT, indicator, request=request)
    values = _indicator_values(values, instance=indicator)
    errors = Errors()
    _check_indicator(errors, indicator.framework, values, instance=indicator)
    errors.raise_if_any()
    return _save_changes(indicator, values, actor=actor, request=request)


# --- Targets and manual values --------------------------------------------------------------------


def _check_period(errors: Errors, start, end) -> None:
    if start is None or end is None:
        errors.add("period_end", _("Give the period's start and end."))
    elif end < start:
        errors.add("period_end", _("The end comes before the start."))


def target_set(
    *,
    actor,
    indicator: Indicator,
    period_start: datetime.date,
    period_end: datetime.date,
    value: Decimal,
    area=None,
    request=None,
) -> IndicatorTarget:
    """The target of the indicator for the period (and area): created, or changed if one exists."""
    ensure(actor, Perm.INDICATOR_EDIT, indicator, request=request)
    errors = Errors()
    _check_period(errors, period_start, period_end)
    if value is None or value < 0:
        errors.add("value", _("A target is a number, 0 or more."))
    errors.raise_if_any()
    with transaction.atomic():
        target, created = IndicatorTarget.objects.select_for_update().get_or_create(
            indicator=indicator,
            period_start=period_start,
            period_end=period_end,
            area=area,
            defaults={"value": value},
        )
        if not created:
            if target.value == value:
                return target
            target.value = value
            target.save(update_fields=["value"])
        audit_record(
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            user=actor,
            obj=indicator,
            request=request,
            detail={
                "target": str(value),
                "from": period_start.isoformat(),
                "to": period_end.isoformat(),
                "area": area.pcode if area else "",
            },
        )
        figures_changed("activities")
    return target


def indicator_value_record(
    *,
    actor,
    indicator: Indicator,
    period_start: datetime.date,
    period_end: datetime.date,
    value: Decimal,
    evidence: str,
    area=None,
    disaggregation: dict | None = None,
    request=None,
) -> IndicatorValue:
    """A manual value with its evidence; a correction is a new entry (the latest for a period wins)."""
    ensure(actor, Perm.INDICATOR_EDIT, indicator, request=request)
    errors = Errors()
    _check_period(errors, period_start, period_end)
    if indicator.source != IndicatorSource.MANUAL:
        errors.add(
            "value",
            _("This indicator is computed from Sentinelle's records: no value is entered by hand."),
        )
    if value is None or value < 0:
        errors.add("value", _("A value is a number, 0 or more."))
    elif indicator.unit == IndicatorUnit.PERCENTAGE and value > 100:
        errors.add("value", _("A percentage is between 0 and 100."))
    if not (evidence or "").strip():
        errors.add("evidence", _("Give the evidence of this value (report, list, minutes...)."))
    errors.raise_if_any()
    with transaction.atomic():
        entry = IndicatorValue.objects.create(
            indicator=indicator,
            period_start=period_start,
            period_end=period_end,
            area=area,
            disaggregation=disaggregation or {},
            value=value,
            evidence=evidence.strip(),
            entered_by=actor,
            created_by=actor,
            updated_by=actor,
        )
        audit_record(
            action=AuditAction.CREATE,
            user=actor,
            obj=entry,
            request=request,
            detail={
                "indicator": indicator.code,
                "value": str(value),
                "from": period_start.isoformat(),
                "to": period_end.isoformat(),
            },
        )
        figures_changed("activities")
    return entry
