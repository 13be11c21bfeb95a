"""Reads of protection monitoring, always scoped by the policy (core/permissions.py).

`incident_list` costs a constant number of queries for a page whatever its length: the area, the
organisation and the categories come with it (select_related / prefetch). Filters use the indexes of
Incident: (organisation, status, -date_start), (status, -date_start), (area, date_start), date_start,
and (category, incident) for categories; an area filter is a subquery on the areas' materialised path
(indexed), so the incident table is probed by area id rather than joined row by row.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, fields

from django.db.models import Count, Prefetch, QuerySet

from sentinelle.core import figure_cache
from sentinelle.core.audit import audit_record
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, get_object_for_user, has_perm, scope_queryset
from sentinelle.geography.models import AdminArea
from sentinelle.monitoring.models import (
    Incident,
    IncidentCategory,
    IncidentEvent,
)


@dataclass
class IncidentFilters:
    area: object = None  # an AdminArea, its public id (UUID or str), or None: the area and its subtree
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    category: str = ""
    organisation: object = None  # an Organisation, its public id or its pk
    status: str = ""
    source_mechanism: str = ""
    q: str = ""  # a reference, whole or in part ("INC-2026-0001", "123")
    include_duplicates: bool = True

    @classmethod
    def from_dict(cls, values: dict | None) -> IncidentFilters:
        names = {f.name for f in fields(cls)}
        return cls(
            **{key: value for key, value in (values or {}).items() if key in names and value not in ("",)}
        )


def _as_uuid(value):
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


# Stands for an area that does not exist: no incident is in it (a version id no row can have).
UNKNOWN_AREA = AdminArea(pk=-1, path="/", version_id=-1)


def _resolve_area(value) -> AdminArea | None:
    if value is None or value == "":
        return None
    if isinstance(value, AdminArea):
        return value
    public_id = _as_uuid(value)
    area = AdminArea.objects.filter(public_id=public_id).first() if public_id else None
    # An unknown area filters everything out rather than silently showing the whole country.
    return area if area is not None else UNKNOWN_AREA


def _organisation_q(value) -> dict:
    if hasattr(value, "pk"):
        return {"organisation_id": value.pk}
    public_id = _as_uuid(value)
    if public_id is not None:
        return {"organisation__public_id": public_id}
    try:
        return {"organisation_id": int(value)}
    except (TypeError, ValueError):
        return {"organisation_id": -1}


def apply_incident_filters(incidents: QuerySet, filters: IncidentFilters) -> QuerySet:
    area = _resolve_area(filters.area)
    if area is not None:
        subtree = AdminArea.objects.filter(version_id=area.version_id, path__startswith=area.path)
        incidents = incidents.filter(area__in=subtree.values("pk"))
    if filters.date_from:
        incidents = incidents.filter(date_start__gte=filters.date_from)
    if filters.date_to:
        incidents = incidents.filter(date_start__lte=filters.date_to)
    if filters.category:
        links = IncidentCategory.objects.filter(category=filters.category)
        incidents = incidents.filter(pk__in=links.values("incident_id"))
    if filters.organisation not in (None, ""):
        incidents = incidents.filter(**_organisation_q(filters.organisation))
    if filters.status:
        incidents = incidents.filter(status=filters.status)
    if filters.source_mechanism:
        incidents = incidents.filter(source_mechanism=filters.source_mechanism)
    if filters.q:
        incidents = incidents.filter(reference__icontains=filters.q.strip())
    if not filters.include_duplicates:
        incidents = incidents.filter(duplicate_of__isnull=True)
    return incidents


def incident_list(*, user, filters: IncidentFilters | dict | None = None) -> QuerySet:
    """The incidents the user may see, filtered, newest first; ready for a list page."""
    if not isinstance(filters, IncidentFilters):
        filters = IncidentFilters.from_dict(filters)
    incidents = scope_queryset(user, Incident.objects.all(), Perm.INCIDENT_VIEW)
    incidents = apply_incident_filters(incidents, filters)
    return (
        incidents.select_related("area", "area__parent", "organisation", "duplicate_of")
        .prefetch_related(Prefetch("category_links", queryset=IncidentCategory.objects.order_by("category")))
        .defer("account", "coordinates", "area__geometry", "area__parent__geometry")
        .order_by("-date_start", "-id")
    )


def incident_counts_by_area(*, user, filters: IncidentFilters | dict | None = None) -> list[tuple[str, int]]:
    """(area path, count) of the incidents of `incident_list`, for the list's map."""
    incidents = (
        incident_list(user=user, filters=filters).order_by().values("area__path").annotate(n=Count("id"))
    )
    # A count over every incident the user sees (a million nationally): kept until incidents change.
    return [
        (row["area__path"], row["n"]) for row in figure_cache.cached_values(incidents, scope="monitoring")
    ]


def incident_get(*, user, public_id, perm: Perm = Perm.INCIDENT_VIEW, request=None) -> Incident:
    """One incident with its details for its page; Http404 alike when absent or not the user's."""
    queryset = Incident.objects.select_related(
        "area",
        "area__parent",
        "settlement",
        "organisation",
        "duplicate_of",
        "reviewed_by",
        "created_by",
        "gbv",
        "explosive",
    ).prefetch_related(
        Prefetch("category_links", queryset=IncidentCategory.objects.order_by("category")),
        "victim_counts",
        "violations__victims",
        "explosive__casualties",
        "duplicates",
    )
    return get_object_for_user(user, queryset, public_id, perm, request=request)


def incident_confidential(*, user, incident: Incident, request=None) -> dict | None:
    """The confidential account and coordinates when the policy allows it (audited read), else None."""
    if not has_perm(user, Perm.INCIDENT_CONFIDENTIAL, incident):
        return None
    # Re-read from the database: a list page defers these fields, and this is the audited access.
    values = Incident.objects.filter(pk=incident.pk).values_list("account", "coordinates").get()
    audit_record(
        action=AuditAction.READ, user=user, obj=incident, request=request, detail={"confidential": True}
    )
    # values_list() goes through the field's from_db_value: these are the plaintexts.
    return {"account": values[0] or "", "coordinates": values[1] or ""}


def incident_survivor(*, user, incident: Incident, request=None):
    """The GBVIMS survivor record of an incident (survivor, classification, consent) when the user is a GBV
    service provider for it (audited read), else None: monitors, the IMO and readers of the incident see
    that survivor details exist, never what they are. `incident` comes from incident_get (joined)."""
    survivor = getattr(incident, "gbv", None)  # a missing one-to-one raises an AttributeError subclass
    if survivor is None or not has_perm(user, Perm.GBV_SURVIVOR_RECORD, incident):
        return None
    audit_record(action=AuditAction.READ, user=user, obj=incident, request=request, detail={"survivor": True})
    return survivor


def incident_timeline(*, incident: Incident) -> QuerySet:
    """The incident's events, oldest first, with their authors (the caller has checked access)."""
    return IncidentEvent.objects.filter(incident=incident).select_related("user").order_by("at", "id")
