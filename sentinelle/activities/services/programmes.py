"""Writes of programmes and projects: reference data kept by their lead organisation and the IMO.

PROGRAMME_MANAGE reaches a programme through its lead organisation (a project through its implementing
organisation); the IMO and administrators reach every one. A refusal is audited and writes nothing.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from sentinelle.accounts.models import Organisation
from sentinelle.activities.models import Currency, Programme, Project
from sentinelle.core.audit import audit_record
from sentinelle.core.figure_cache import figures_changed
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, ensure
from sentinelle.core.validation import Errors

__all__ = [
    "programme_create",
    "programme_update",
    "project_create",
    "project_update",
]


def _require(actor, organisation, *, obj=None, object_type: str, request=None, action: str) -> None:
    """The actor keeps the programmes of `organisation` (and `obj` when given)."""
    ensure(
        actor,
        Perm.PROGRAMME_MANAGE,
        obj,
        organisation=organisation,
        request=request,
        message=_("You may not manage the programmes of this organisation."),
        object_type=object_type,
        detail={"action": action},
    )


def _check_common(errors: Errors, values: dict, model, instance) -> None:
    code = (values["code"] or "").strip()
    if not code:
        errors.add("code", _("Give a code."))
    elif model.objects.filter(code__iexact=code).exclude(pk=getattr(instance, "pk", None)).exists():
        errors.add("code", _("This code is already used."))
    if not (values["name"] or "").strip():
        errors.add("name", _("Give a name."))
    if values["start_date"] is None:
        errors.add("start_date", _("Give the start date."))
    if values["end_date"] is None:
        errors.add("end_date", _("Give the end date."))
    elif values["start_date"] and values["end_date"] < values["start_date"]:
        errors.add("end_date", _("The end date cannot be before the start date."))
    if values["budget"] is not None and values["budget"] < 0:
        errors.add("budget", _("The budget cannot be negative."))
    if values["currency"] not in Currency.values:
        errors.add("currency", _("Choose a currency."))


def _check_programme(values: dict, instance=None) -> None:
    errors = Errors()
    _check_common(errors, values, Programme, instance)
    if values["lead_organisation"] is None:
        errors.add("lead_organisation", _("Choose the lead organisation."))
    errors.raise_if_any()


def _check_project(values: dict, instance=None) -> None:
    errors = Errors()
    _check_common(errors, values, Project, instance)
    if values["organisation"] is None:
        errors.add("organisation", _("Choose the implementing organisation."))
    errors.raise_if_any()


def _fill(obj, values: dict, names) -> None:
    for name in names:
        value = values[name]
        setattr(obj, name, value.strip() if isinstance(value, str) else value)


_PROGRAMME_FIELDS = (
    "code",
    "name",
    "lead_organisation",
    "start_date",
    "end_date",
    "description",
    "budget",
    "currency",
)
_PROJECT_FIELDS = (
    "code",
    "name",
    "organisation",
    "programme",
    "start_date",
    "end_date",
    "budget",
    "currency",
)


def programme_create(
    *,
    actor,
    code: str,
    name: str,
    lead_organisation: Organisation | None,
    start_date: datetime.date | None,
    end_date: datetime.date | None,
    description: str = "",
    budget: Decimal | None = None,
    currency: str = Currency.XOF,
    donors=(),
    implementing_partners=(),
    areas=(),
    request=None,
) -> Programme:
    values = dict(locals())
    _require(actor, lead_organisation, object_type="activities.programme", request=request, action="create")
    _check_programme(values)
    with transaction.atomic():
        programme = Programme(created_by=actor, updated_by=actor)
        _fill(programme, values, _PROGRAMME_FIELDS)
        programme.save()
        programme.donors.set(donors)
        programme.implementing_partners.set(implementing_partners)
        programme.areas.set(areas)
        audit_record(action=AuditAction.CREATE, user=actor, obj=programme, request=request)
        figures_changed("activities")
    return programme


def programme_update(
    *,
    actor,
    programme: Programme,
    code: str,
    name: str,
    lead_organisation: Organisation | None,
    start_date: datetime.date | None,
    end_date: datetime.date | None,
    description: str = "",
    budget: Decimal | None = None,
    currency: str = Currency.XOF,
    donors=(),
    implementing_partners=(),
    areas=(),
    request=None,
) -> Programme:
    values = dict(locals())
    ensure(actor, Perm.PROGRAMME_MANAGE, programme, request=request)
    _require(actor, lead_organisation, obj=programme, object_type="", request=request, action="update")
    _check_programme(values, programme)
    with transaction.atomic():
        _fill(programme, values, _PROGRAMME_FIELDS)
        programme.updated_by = actor
        programme.save()
        programme.donors.set(donors)
        programme.implementing_partners.set(implementing_partners)
        programme.areas.set(areas)
        audit_record(action=AuditAction.UPDATE, user=actor, obj=programme, request=request)
        figures_changed("activities")
    return programme


def project_create(
    *,
    actor,
    code: str,
    name: str,
    organisation: Organisation | None,
    start_date: datetime.date | None,
    end_date: datetime.date | None,
    programme: Programme | None = None,
    budget: Decimal | None = None,
    currency: str = Currency.XOF,
    donors=(),
    areas=(),
    request=None,
) -> Project:
    values = dict(locals())
    _require(actor, organisation, object_type="activities.project", request=request, action="create")
    _check_project(values)
    with transaction.atomic():
        project = Project(created_by=actor, updated_by=actor)
        _fill(project, values, _PROJECT_FIELDS)
        project.save()
        project.donors.set(donors)
        project.areas.set(areas)
        audit_record(action=AuditAction.CREATE, user=actor, obj=project, request=request)
        figures_changed("activities")
    return project


def project_update(
    *,
    actor,
    project: Project,
    code: str,
    name: str,
    organisation: Organisation | None,
    start_date: datetime.date | None,
    end_date: datetime.date | None,
    programme: Programme | None = None,
    budget: Decimal | None = None,
    currency: str = Currency.XOF,
    donors=(),
    areas=(),
    request=None,
) -> Project:
    values = dict(locals())
    ensure(actor, Perm.PROGRAMME_MANAGE, project, request=request)
    _require(actor, organisation, obj=project, object_type="", request=request, action="update")
    _check_project(values, project)
    with transaction.atomic():
        _fill(project, values, _PROJECT_FIELDS)
        project.updated_by = actor
        project.save()
        project.donors.set(donors)
        project.areas.set(areas)
        audit_record(action=AuditAction.UPDATE, user=actor, obj=project, request=request)
        figures_changed("activities")
    return project
