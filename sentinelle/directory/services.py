"""Writes of the service directory: create, update, archive, verify, focal points, and the bulk import.

Each service checks the policy first (Perm.SERVICE_MANAGE on the provider: its managers and focal
points, the IMO, administrators); a refusal raises PermissionDenied, is audited, and writes nothing else.
Then it validates (ValidationError keyed by argument name, French messages once translated), writes
in one transaction and appends one audit entry. Services are reference data, not personal data, but the
audit details still carry only field names and counts.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sentinelle.accounts.models import Membership, Organisation
from sentinelle.core.audit import audit_record
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, ensure, refuse
from sentinelle.core.validation import Errors
from sentinelle.directory.models import Cost, Service, ServiceStatus, ServiceType
from sentinelle.geography.models import AdminArea, AdminLevel, Settlement
from sentinelle.geography.selectors import cod_version_default

__all__ = [
    "ImportResult",
    "ServiceLine",
    "service_archive",
    "service_check",
    "service_create",
    "service_import_many",
    "service_set_focal_points",
    "service_update",
    "service_verify",
]


@dataclass(frozen=True)
class ServiceLine:
    """One service: what service_create and service_update take as arguments, and a row of an import."""

    name: str
    service_type: str
    provider: Organisation | None
    area: AdminArea | None  # where the service is delivered: a commune (or a Bamako quartier)
    description: str = ""
    settlement: Settlement | None = None
    address: str = ""
    areas_served: Sequence[AdminArea] = ()
    opening_hours: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    languages: str = ""
    eligibility: str = ""
    cost: str = Cost.FREE
    capacity_per_month: int | None = None
    status: str = ServiceStatus.ACTIVE
    last_verified_on: datetime.date | None = None
    source_id: str = ""


_FIELDS = [f.name for f in fields(ServiceLine)]
# Plain fields copied from the input to the model (areas served are a relation, set apart).
_SCALAR_FIELDS = [name for name in _FIELDS if name != "areas_served"]
_TEXT_LIMITS = {
    "name": 200,
    "address": 300,
    "opening_hours": 200,
    "contact_phone": 40,
    "languages": 200,
    "source_id": 128,
}


@dataclass(frozen=True)
class ImportResult:
    created: int
    unchanged: int
    services: list[Service]


# --- Policy -----------------------------------------------------------------------------------


def _refused() -> str:
    return _("You may not manage the services of this organisation.")


def _require_provider(actor, organisation: Organisation, *, request=None, action: str) -> None:
    """The actor keeps `organisation`'s services up to date (before any service exists)."""
    ensure(
        actor,
        Perm.SERVICE_MANAGE,
        organisation=organisation,
        request=request,
        message=_refused(),
        object_type="directory.service",
        detail={"action": action},
    )


def _require_service(actor, service: Service, *, request=None, action: str) -> None:
    if service.is_archived:
        refuse(
            actor,
            Perm.SERVICE_MANAGE,
            message=_refused(),
            obj=service,
            request=request,
            detail={"action": action},
        )
    ensure(
        actor, Perm.SERVICE_MANAGE, service, request=request, message=_refused(), detail={"action": action}
    )


# --- Validation -------------------------------------------------------------------------------


def service_check(errors: Errors, data: ServiceLine, *, version=None, prefix: str = "") -> None:
    """Add every problem of a service to `errors`, each under its field (after `prefix`)."""

    def add(key: str, message: str) -> None:
        errors.add(prefix + key, message)

    version = version or cod_version_default()
    if not (data.name or "").strip():
        add("name", _("Give the name of the service."))
    for key, limit in _TEXT_LIMITS.items():
        if len(getattr(data, key) or "") > limit:
            add(key, _("At most %(limit)s characters.") % {"limit": limit})
    if data.service_type not in ServiceType.values:
        add("service_type", _("Unknown type of service “%(value)s”.") % {"value": data.service_type})
    if data.cost not in Cost.values:
        add("cost", _("Unknown cost “%(value)s”.") % {"value": data.cost})
    if data.status not in ServiceStatus.values:
        add("status", _("Unknown status “%(value)s”.") % {"value": data.status})
    if data.provider is None:
        add("provider", _("Give the organisation that provides the service."))
    elif data.provider.is_archived:
        add("provider", _("This organisation is archived."))
    if data.area is None:
        add("area", _("Give the commune where the service is delivered."))
    elif version is None or data.area.version_id != version.pk:
        add("area", _("The place must be an area of the current COD version."))
    elif data.area.level < AdminLevel.COMMUNE:
        add(
            "area",
            _("%(name)s is not a commune: give the commune where the service is delivered.")
            % {"name": data.area.name_fr},
        )
    if data.settlement is not None and data.area is not None and not _settlement_fits(data):
        add(
            "settlement",
            _("The settlement %(settlement)s is not in %(area)s.")
            % {"settlement": data.settlement.name, "area": data.area.name_fr},
        )
    outside = [area for area in data.areas_served if version is None or area.version_id != version.pk]
    if outside:
        add(
            "areas_served",
            _("Areas served must be areas of the current COD version: %(areas)s.")
            % {"areas": ", ".join(f"{area.name_fr} ({area.pcode})" for area in outside)},
        )
    if data.contact_email:
        try:
            validate_email(data.contact_email)
        except ValidationError:
            add("contact_email", _("This e-mail address is not valid."))
    if data.capacity_per_month is not None and data.capacity_per_month < 0:
        add("capacity_per_month", _("The capacity cannot be negative."))
    if data.last_verified_on and data.last_verified_on > timezone.localdate():
        add("last_verified_on", _("The date of the last check cannot be in the future."))


def _settlement_fits(data) -> bool:
    settlement, area = data.settlement, data.area
    if settlement.version_id != area.version_id:
        return False
    # The settlement's commune is the area itself, or contains it (a quartier of a Bamako commune).
    return settlement.admin3_id == area.pk or settlement.admin3.contains(area)


def _line(arguments: dict) -> ServiceLine:
    """The service a write's arguments describe (taken first thing, from its locals())."""
    return ServiceLine(**{name: arguments[name] for name in _FIELDS})


def _validate(data: ServiceLine) -> None:
    errors = Errors()
    service_check(errors, data)
    errors.raise_if_any()


def _clean(data: ServiceLine) -> dict:
    values = {name: getattr(data, name) for name in _SCALAR_FIELDS}
    for key, value in values.items():
        if isinstance(value, str):
            values[key] = value.strip()
    return values


def _unique_areas(areas) -> list[AdminArea]:
    seen: dict[int, AdminArea] = {}
    for area in areas:
        seen.setdefault(area.pk, area)
    return list(seen.values())


# --- Writes -----------------------------------------------------------------------------------


def service_create(
    *,
    actor,
    name: str,
    service_type: str,
    provider: Organisation | None,
    area: AdminArea | None,
    description: str = "",
    settlement: Settlement | None = None,
    address: str = "",
    areas_served=(),
    opening_hours: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    languages: str = "",
    eligibility: str = "",
    cost: str = Cost.FREE,
    capacity_per_month: int | None = None,
    status: str = ServiceStatus.ACTIVE,
    last_verified_on: datetime.date | None = None,
    source_id: str = "",
    request=None,
) -> Service:
    """A new service of `provider`; with a source identifier already known, that service, unchanged."""
    data = _line(locals())
    if provider is not None:
        _require_provider(actor, provider, request=request, action="create")
    _validate(data)
    values = _clean(data)
    with transaction.atomic():
        if values["source_id"]:
            existing = Service.objects.filter(provider=provider, source_id=values["source_id"]).first()
            if existing is not None:
                return existing
        service = Service.objects.create(**values, created_by=actor, updated_by=actor)
        service.areas_served.set(_unique_areas(data.areas_served))
        audit_record(
            action=AuditAction.CREATE,
            user=actor,
            obj=service,
            request=request,
            detail={"service_type": service.service_type, "provider": provider.acronym},
        )
    return service


def service_update(
    *,
    actor,
    service: Service,
    name: str,
    service_type: str,
    provider: Organisation | None,
    area: AdminArea | None,
    description: str = "",
    settlement: Settlement | None = None,
    address: str = "",
    areas_served=(),
    opening_hours: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    languages: str = "",
    eligibility: str = "",
    cost: str = Cost.FREE,
    capacity_per_month: int | None = None,
    status: str = ServiceStatus.ACTIVE,
    last_verified_on: datetime.date | None = None,
    source_id: str = "",
    request=None,
) -> Service:
    """Change a service; moving it to another provider needs the right to manage both."""
    data = _line(locals())
    _require_service(actor, service, request=request, action="update")
    if provider is not None and provider.pk != service.provider_id:
        _require_provider(actor, provider, request=request, action="update")
    _validate(data)
    values = _clean(data)
    new_areas = {area.pk for area in data.areas_served}
    with transaction.atomic():
        service = Service.objects.select_for_update().get(pk=service.pk)
        changed = [name for name, value in values.items() if getattr(service, name) != value]
        old_areas = set(service.areas_served.values_list("pk", flat=True))
        if old_areas != new_areas:
            changed.append("areas_served")
        if not changed:
            return service
        for name, value in values.items():
            setattr(service, name, value)
        service.updated_by = actor
        service.save()
        if "areas_served" in changed:
            service.areas_served.set(_unique_areas(data.areas_served))
        audit_record(
            action=AuditAction.UPDATE, user=actor, obj=service, request=request, detail={"changed": changed}
        )
    return service


def service_archive(*, actor, service: Service, request=None) -> Service:
    """Take a service out of the directory (never deleted: referrals keep pointing to it)."""
    _require_service(actor, service, request=request, action="archive")
    with transaction.atomic():
        service.is_archived = True
        service.updated_by = actor
        service.save(update_fields=["is_archived", "updated_by", "updated_at"])
        audit_record(action=AuditAction.ARCHIVE, user=actor, obj=service, request=request)
    return service


def service_verify(*, actor, service: Service, on: datetime.date | None = None, request=None) -> Service:
    """Record that the service's details were checked (today unless told)."""
    _require_service(actor, service, request=request, action="verify")
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise ValidationError({"last_verified_on": _("The date of the last check cannot be in the future.")})
    with transaction.atomic():
        service.last_verified_on = on
        service.updated_by = actor
        service.save(update_fields=["last_verified_on", "updated_by", "updated_at"])
        audit_record(
            action=AuditAction.UPDATE,
            user=actor,
            obj=service,
            request=request,
            detail={"verified_on": on.isoformat()},
        )
    return service


def _provider_members(organisation: Organisation, users) -> set[int]:
    """Ids of the users (among `users`) who are active members of the organisation."""
    return set(
        Membership.objects.filter(
            organisation=organisation,
            is_archived=False,
            user__in=[user.pk for user in users],
            user__is_active=True,
        ).values_list("user_id", flat=True)
    )


def service_set_focal_points(*, actor, service: Service, users, request=None) -> Service:
    """The users who receive the service's referrals: active members of the provider organisation."""
    _require_service(actor, service, request=request, action="focal_points")
    users = list({user.pk: user for user in users}.values())
    members = _provider_members(service.provider, users)
    outsiders = [user for user in users if user.pk not in members]
    if outsiders:
        raise ValidationError(
            {
                "focal_points": _("A focal point must be an active user of %(provider)s: %(users)s is not.")
                % {
                    "provider": service.provider.acronym,
                    "users": ", ".join(user.username for user in outsiders),
                }
            }
        )
    with transaction.atomic():
        before = set(service.focal_points.values_list("pk", flat=True))
        after = {user.pk for user in users}
        service.focal_points.set(users)
        service.updated_by = actor
        service.save(update_fields=["updated_by", "updated_at"])
        audit_record(
            action=AuditAction.UPDATE,
            user=actor,
            obj=service,
            request=request,
            detail={
                "focal_points": len(after),
                "added": len(after - before),
                "removed": len(before - after),
            },
        )
    return service


def _identifier_q(keys: set[tuple[int, str]]) -> Q:
    """Existing services for (provider id, identifier) pairs: by source identifier, or by public id (an
    exported workbook carries the public id of services that had no source identifier)."""
    providers = {provider_id for provider_id, _source in keys}
    sources = {source for _provider, source in keys}
    uuids = set()
    for source in sources:
        try:
            uuids.add(uuid.UUID(source))
        except ValueError:
            continue
    q = Q(provider_id__in=providers, source_id__in=sources)
    if uuids:
        q |= Q(provider_id__in=providers, public_id__in=uuids)
    return q


def service_import_many(*, actor, organisation: Organisation, rows: list[ServiceLine]) -> ImportResult:
    """Write many services at once, all or nothing, idempotent by (provider, source identifier).

    Rows are validated here again (no query per row: the default version is fetched once); errors are
    keyed "<row index>.<field>". Writes are two bulk inserts (services, then their areas served) and one
    audit entry (IMPORT). A row whose identifier is already known leaves that service unchanged.
    """
    providers = {row.provider.pk: row.provider for row in rows if row.provider is not None}
    for provider in providers.values() or [organisation]:
        _require_provider(actor, provider, action="import")
    version = cod_version_default()
    errors = Errors()
    for index, row in enumerate(rows):
        service_check(errors, row, version=version, prefix=f"{index}.")
    errors.raise_if_any()
    with transaction.atomic():
        keyed = {(row.provider.pk, row.source_id.strip()) for row in rows if row.source_id.strip()}
        existing = {}
        if keyed:
            for service in Service.objects.filter(_identifier_q(keyed)):
                existing[(service.provider_id, service.source_id)] = service
                existing[(service.provider_id, str(service.public_id))] = service
        new_rows, new_services, kept, seen = [], [], [], set()
        for row in rows:
            key = (row.provider.pk, row.source_id.strip())
            if key[1] and key in existing:
                kept.append(existing[key])
                continue
            if key[1] and key in seen:
                continue
            seen.add(key)
            new_rows.append(row)
            new_services.append(Service(**_clean(row), created_by=actor, updated_by=actor))
        Service.objects.bulk_create(new_services)
        if any(service.pk is None for service in new_services):
            # Databases that do not return ids from bulk inserts: read them back by public id.
            ids = dict(
                Service.objects.filter(public_id__in=[s.public_id for s in new_services]).values_list(
                    "public_id", "pk"
                )
            )
            for service in new_services:
                service.pk = service.id = ids[service.public_id]
        through = Service.areas_served.through
        through.objects.bulk_create(
            [
                through(service_id=service.pk, adminarea_id=area.pk)
                for service, row in zip(new_services, new_rows, strict=True)
                for area in _unique_areas(row.areas_served)
            ]
        )
        audit_record(
            action=AuditAction.IMPORT,
            user=actor,
            organisation=organisation,
            object_type="directory.service",
            detail={"created": len(new_services), "unchanged": len(rows) - len(new_services)},
        )
    return ImportResult(
        created=len(new_services), unchanged=len(rows) - len(new_services), services=kept + new_services
    )
