"""Writes of programmes and projects: reference data kept by their lead organisation and the IMO.

PROGRAMME_MANAGE reaches a programme through its lead organisation (a project through its implementing
organisation); the IMO and administrators reach every one. A refusal is audited and writes nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sentinelle.accounts.models import Organisation
from sentinelle.activities.models import Currency, Programme, Project
from sentinelle.core.audit import audit_record
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, ensure
from sentinelle.geography.models import AdminArea

__all__ = [
    "ProgrammeInput",
    "ProjectInput",
    "programme_create",
    "programme_update",
    "project_create",
    "project_update",
]


@dataclass
class ProgrammeInput:
    code: str
    name: str
    lead_organisation: Organisation | None
    start_date: datetime.date | None
    end_date: datetime.date | None
    description: str = ""
    budget: Decimal | None = None
    currency: str = Currency.XOF
    donors: list[Organisation] = field(default_factory=list)
    implementing_partners: list[Organisation] = field(default_factory=list)
    areas: list[AdminArea] = field(default_factory=list)


@dataclass
class ProjectInput:
    code: str
    name: str
    organisation: Organisation | None
    start_date: datetime.date | None
    end_date: datetime.date | None
    programme: Programme | None = None
    budget: Decimal | None = None
    currency: str = Currency.XOF
    donors: list[Organisation] = field(default_factory=list)
    areas: list[AdminArea] = field(default_factory=list)


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


def _common_errors(data, model, instance) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    code = (data.code or "").strip()
    if not code:
        errors["code"] = [_("Give a code.")]
    elif model.objects.filter(code__iexact=code).exclude(pk=getattr(instance, "pk", None)).exists():
        errors["code"] = [_("This code is already used.")]
    if not (data.name or "").strip():
        errors["name"] = [_("Give a name.")]
    if data.start_date is None:
        errors["start_date"] = [_("Give the start date.")]
    if data.end_date is None:
        errors["end_date"] = [_("Give the end date.")]
    elif data.start_date and data.end_date < data.start_date:
        errors["end_date"] = [_("The end date cannot be before the start date.")]
    if data.budget is not None and data.budget < 0:
        errors["budget"] = [_("The budget cannot be negative.")]
    if data.currency not in Currency.values:
        errors["currency"] = [_("Choose a currency.")]
    return errors


def _programme_errors(data: ProgrammeInput, instance=None) -> dict:
    errors = _common_errors(data, Programme, instance)
    if data.lead_organisation is None:
        errors["lead_organisation"] = [_("Choose the lead organisation.")]
    return errors


def _project_errors(data: ProjectInput, instance=None) -> dict:
    errors = _common_errors(data, Project, instance)
    if data.organisation is None:
        errors["organisation"] = [_("Choose the implementing organisation.")]
    return errors


def _fill(obj, data, names) -> None:
    for name in names:
        value = getattr(data, name)
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


def programme_create(*, actor, data: ProgrammeInput, request=None) -> Programme:
    _require(
        actor, data.lead_organisation, object_type="activities.programme", request=request, action="create"
    )
    errors = _programme_errors(data)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        programme = Programme(created_by=actor, updated_by=actor)
        _fill(programme, data, _PROGRAMME_FIELDS)
        programme.save()
        programme.donors.set(data.donors)
        programme.implementing_partners.set(data.implementing_partners)
        programme.areas.set(data.areas)
        audit_record(action=AuditAction.CREATE, user=actor, obj=programme, request=request)
    return programme


def programme_update(*, actor, programme: Programme, data: ProgrammeInput, request=None) -> Programme:
    ensure(actor, Perm.PROGRAMME_MANAGE, programme, request=request)
    _require(actor, data.lead_organisation, obj=programme, object_type="", request=request, action="update")
    errors = _programme_errors(data, programme)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _fill(programme, data, _PROGRAMME_FIELDS)
        programme.updated_by = actor
        programme.save()
        programme.donors.set(data.donors)
        programme.implementing_partners.set(data.implementing_partners)
        programme.areas.set(data.areas)
        audit_record(action=AuditAction.UPDATE, user=actor, obj=programme, request=request)
    return programme


def project_create(*, actor, data: ProjectInput, request=None) -> Project:
    _require(actor, data.organisation, object_type="activities.project", request=request, action="create")
    errors = _project_errors(data)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        project = Project(created_by=actor, updated_by=actor)
        _fill(project, data, _PROJECT_FIELDS)
        project.save()
        project.donors.set(data.donors)
        project.areas.set(data.areas)
        audit_record(action=AuditAction.CREATE, user=actor, obj=project, request=request)
    return project


def project_update(*, actor, project: Project, data: ProjectInput, request=None) -> Project:
    ensure(actor, Perm.PROGRAMME_MANAGE, project, request=request)
    _require(actor, data.organisation, obj=project, object_type="", request=request, action="update")
    errors = _project_errors(data, project)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _fill(project, data, _PROJECT_FIELDS)
        project.updated_by = actor
        project.save()
        project.donors.set(data.donors)
        project.areas.set(data.areas)
        audit_record(action=AuditAction.UPDATE, user=actor, obj=project, request=request)
    return project
