"""Reads of referrals: the receiving focal point's queue (the minimum necessary), the referring side's
lists, overdue referrals, and statistics.

What the receiving side sees (decided here, design §6 "minimum necessary"): the reference, the service
and its type, urgency, respond-by date, status and dates, the referral form's answers for that type, the
reason for referral (written without names), and of the person only their code, sex and age group. In
the detail of one referral (audited) the person's given name is added so the service can welcome them,
except for GBV cases, where the survivor is known by code only. Never the case, its notes, assessments,
the family name, phone, address, or the incident's account. The queue lists do not decrypt anything.

Statistics: managers see their organisation's referrals (sent or received); the IMO (Perm.CASE_STATS,
global) sees aggregates across organisations, where rows under the disclosure threshold
(SENTINELLE["DISCLOSURE_THRESHOLD"], default 5) are suppressed, with a second row when one alone would be
deducible from the total.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from sentinelle.cases.models import CaseType, Referral, ReferralEvent, ReferralStatus
from sentinelle.cases.services._casework import setting
from sentinelle.cases.services.referrals import referral_form_display
from sentinelle.core.audit import audit_record
from sentinelle.core.codes import AgeGroup, Sex
from sentinelle.core.models import AuditAction
from sentinelle.core.pagination import CappedPaginator
from sentinelle.core.permissions import (
    Perm,
    ensure,
    get_object_for_user,
    organisations_in_scope,
    scope_queryset,
)
from sentinelle.directory.models import Service, ServiceType

__all__ = [
    "ReceivedReferral",
    "referral_get",
    "referral_list",
    "referral_overdue",
    "referral_queue",
    "referral_queue_count",
    "referral_received_get",
    "referral_statistics",
    "referral_timeline",
]

# The only columns the receiving side's queries load (nothing encrypted among them).
_RECEIVED_FIELDS = (
    "public_id",
    "reference",
    "status",
    "service_type",
    "urgency",
    "form",
    "respond_by",
    "created_at",
    "accepted_at",
    "declined_at",
    "decline_reason",
    "completed_at",
    "service_given",
    "service_date",
    "follow_up_needed",
    "follow_up",
    "cancelled_at",
    "service__name",
    "service__provider_id",
    "case__case_type",
    "case__person__person_code",
    "case__person__sex",
    "case__person__age_group",
)


@dataclass
class ReceivedReferral:
    """A referral as the receiving service sees it: no case, no identity beyond the agreed minimum."""

    public_id: str
    reference: str
    status: str
    status_label: str
    service_name: str
    service_type: str
    service_type_label: str
    urgency: str
    urgency_label: str
    created_at: datetime
    respond_by: datetime
    is_overdue: bool
    person_code: str
    sex: str
    age_group: str
    form: list[tuple[str, str]]
    accepted_at: datetime | None = None
    declined_at: datetime | None = None
    decline_reason: str = ""
    completed_at: datetime | None = None
    service_given: str = ""
    service_date: date | None = None
    follow_up_needed: bool = False
    follow_up: str = ""
    cancelled_at: datetime | None = None
    # Only in the audited detail: the reason and the given name (never for GBV cases).
    reason: str = ""
    given_name: str = ""
    events: list = field(default_factory=list)


def _received(referral: Referral, now: datetime, *, with_form: bool = True) -> ReceivedReferral:
    person = referral.case.person
    return ReceivedReferral(
        public_id=str(referral.public_id),
        reference=referral.reference,
        status=referral.status,
        status_label=str(ReferralStatus(referral.status).label),
        service_name=referral.service.name if referral.service_id else "",
        service_type=referral.service_type,
        service_type_label=str(ServiceType(referral.service_type).label),
        urgency=referral.urgency,
        urgency_label=str(referral.get_urgency_display()),
        created_at=referral.created_at,
        respond_by=referral.respond_by,
        is_overdue=referral.status == ReferralStatus.PENDING and referral.respond_by < now,
        person_code=person.person_code,
        sex=str(Sex(person.sex).label) if person.sex in Sex.values else person.sex,
        age_group=str(AgeGroup(person.age_group).label) if person.age_group in AgeGroup.values else "",
        form=referral_form_display(referral.service_type, referral.form) if with_form else [],
        accepted_at=referral.accepted_at,
        declined_at=referral.declined_at,
        decline_reason=referral.decline_reason,
        completed_at=referral.completed_at,
        service_given=referral.service_given,
        service_date=referral.service_date,
        follow_up_needed=referral.follow_up_needed,
        follow_up=referral.follow_up,
        cancelled_at=referral.cancelled_at,
    )


def _received_queryset(user) -> QuerySet:
    # The policy filters the referral table itself (through its service's provider): no DISTINCT subquery,
    # so that the queue's first page reads from the (respond_by, id) index.
    return scope_queryset(user, Referral.objects.all(), Perm.REFERRAL_RECEIVE).select_related(
        "service", "case__person"
    )


def _queue_queryset(user, status: str, mine_only: bool = False) -> QuerySet:
    referrals = _received_queryset(user).only(*_RECEIVED_FIELDS)
    if status == "open":
        referrals = referrals.filter(status__in=[ReferralStatus.PENDING, ReferralStatus.ACCEPTED])
    elif status != "all":
        referrals = referrals.filter(status=status)
    if mine_only:
        referrals = referrals.filter(service__focal_points=user)
    return referrals.order_by("respond_by", "id")


def referral_queue(*, user, status: str = "pending", mine_only: bool = False) -> list[ReceivedReferral]:
    """Referrals sent to the services of the user's organisation (Perm.REFERRAL_RECEIVE): `status` one of
    the referral statuses, "open" (pending or accepted) or "all"; most urgent first. One query."""
    now = timezone.now()
    return [_received(r, now) for r in _queue_queryset(user, status, mine_only)]


def referral_queue_count(*, user, status: str = "pending") -> int:
    """How many referrals wait in the user's queue (the home page's link): counted, never loaded."""
    return _queue_queryset(user, status).order_by().count()


QUEUE_PAGE_SIZE = 50
QUEUE_ORDER = ("respond_by", "id")
# Statuses whose queue is read service by service from an index in queue order (models.Referral's
# cases_referral_open_queue_idx and cases_referral_queue_idx); "all" reads the (respond_by, id) index.
_PER_SERVICE = ("open", *ReferralStatus.values)
# Past this many services, one ordered read of the whole queue (an administrator's, for instance).
_MERGED_SERVICES_MAX = 20


def _receiving_services(user) -> list[int] | None:
    """The services whose referrals the user may receive, to read their queues one by one; None when the
    user receives for every organisation. Only a narrowing: each read keeps the policy's own filter."""
    organisations = organisations_in_scope(user, Perm.REFERRAL_RECEIVE)
    if organisations is None:
        return None
    services = Service.objects.filter(provider_id__in=organisations).order_by("pk")
    return list(services.values_list("pk", flat=True))


def _urgent_first(user, referrals: QuerySet, status: str, offset: int, limit: int) -> list[Referral]:
    """Rows offset..offset+limit of the queue, most urgent first.

    The policy reaches a referral through its service's provider, so one ordered read of the whole table
    walks the (respond_by, id) index past every other organisation's referrals (most of them, for a
    service that receives few). Each service's queue is instead read in order from an index made for
    it, the first offset+limit of each merged here, then the page's rows read by id."""
    services = _receiving_services(user) if status in _PER_SERVICE else None
    if services is None or len(services) > _MERGED_SERVICES_MAX:
        return list(referrals.order_by(*QUEUE_ORDER)[offset : offset + limit])
    if len(services) <= 1:
        one = referrals.filter(service_id__in=services)
        return list(one.order_by(*QUEUE_ORDER)[offset : offset + limit])
    each = [
        referrals.filter(service_id=service)
        .order_by(*QUEUE_ORDER)
        .values_list(*QUEUE_ORDER)[: offset + limit]
        for service in services
    ]
    if connection.features.supports_slicing_ordering_in_compound:
        heads = list(each[0].union(*each[1:], all=True))  # one round trip (PostgreSQL)
    else:
        heads = [head for one in each for head in one]
    ids = [pk for _respond_by, pk in sorted(heads)[offset : offset + limit]]
    rows = {referral.pk: referral for referral in referrals.filter(pk__in=ids)}
    return [rows[pk] for pk in ids]


def referral_queue_page(*, user, status: str = "open", page=None, per_page: int = QUEUE_PAGE_SIZE):
    """One page of the queue, most urgent first; rows without their form (the detail shows it), so a
    service with a thousand referrals answers as fast as one with ten. Four queries: the capped count,
    the services, the page (and for several services, the heads of their queues before it)."""
    referrals = _queue_queryset(user, status)
    page = CappedPaginator(referrals, per_page, cap=1_000).get_page(page)
    rows = _urgent_first(user, referrals, status, (page.number - 1) * per_page, per_page)
    now = timezone.now()
    page.object_list = [_received(r, now, with_form=False) for r in rows]
    return page


def referral_received_get(*, user, public_id, request=None) -> ReceivedReferral:
    """One referral for the receiving side (Http404 alike when absent or not theirs); audited READ."""
    queryset = _received_queryset(user).only(*_RECEIVED_FIELDS, "reason", "case__person__given_name")
    referral = get_object_for_user(user, queryset, public_id, Perm.REFERRAL_RECEIVE, request=request)
    audit_record(
        action=AuditAction.READ,
        user=user,
        obj=referral,
        request=request,
        detail={"side": "receiving", "reference": referral.reference},
    )
    item = _received(referral, timezone.now())
    item.reason = referral.reason
    if referral.case.case_type != CaseType.GBV:
        item.given_name = referral.case.person.given_name
    item.events = referral_timeline(referral)
    return item


def referral_get(*, user, public_id, request=None) -> Referral:
    """One referral for the referring side (Perm.REFERRAL_VIEW: like its case)."""
    queryset = Referral.objects.select_related("case", "service__provider", "consent")
    return get_object_for_user(user, queryset, public_id, Perm.REFERRAL_VIEW, request=request)


def referral_to_handle_get(*, user, public_id) -> Referral:
    """The model row for a receiving-side action (Http404 alike); the service re-checks the policy."""
    queryset = Referral.objects.select_related("service")
    return get_object_for_user(user, queryset, public_id, Perm.REFERRAL_RECEIVE)


def referral_timeline(referral: Referral) -> list[ReferralEvent]:
    """Each status with its date and who set it (the referring side sees the whole loop)."""
    return list(referral.events.select_related("user").order_by("at", "id"))


def referral_list(*, user, status: str = "", case=None) -> QuerySet:
    """Referrals the user's cases made (Perm.REFERRAL_VIEW)."""
    scoped = scope_queryset(user, Referral.objects.all(), Perm.REFERRAL_VIEW).values("pk")
    referrals = Referral.objects.filter(pk__in=scoped).select_related("case", "service__provider")
    if status:
        referrals = referrals.filter(status=status)
    if case is not None:
        referrals = referrals.filter(case=case)
    return referrals.order_by("-created_at")


def referral_overdue(*, user, side: str = "received", now: datetime | None = None) -> QuerySet:
    """Pending referrals past their respond-by date, sent by the user's cases ("sent") or to their
    organisation's services ("received": loads only what the receiving side may see)."""
    now = now or timezone.now()
    if side == "sent":
        referrals = referral_list(user=user)
    else:
        referrals = _received_queryset(user).only(*_RECEIVED_FIELDS)
    return referrals.filter(status=ReferralStatus.PENDING, respond_by__lt=now).order_by("respond_by")


# --- Statistics ------------------------------------------------------------------------------------

METRICS = ("referred", "pending", "accepted", "declined", "completed", "cancelled")


def _hours(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds() / 3600


def _summary(rows: list[tuple]) -> dict:
    counts = dict.fromkeys(METRICS, 0)
    to_accept, to_complete = [], []
    for status, created, accepted, completed in rows:
        counts["referred"] += 1
        if status != ReferralStatus.ACCEPTED:
            counts[status] += 1
        if accepted is not None:
            counts["accepted"] += 1
            to_accept.append(_hours(created, accepted))
        if completed is not None:
            to_complete.append(_hours(created, completed))
    # "accepted" counts every referral ever accepted (completed ones too, and declined after acceptance).
    return {
        **counts,
        "median_hours_to_acceptance": round(statistics.median(to_accept), 1) if to_accept else None,
        "median_hours_to_completion": round(statistics.median(to_complete), 1) if to_complete else None,
        "suppressed": False,
    }


def _suppress(groups: list[dict], threshold: int) -> None:
    """Hide rows under the threshold; if only one row is hidden, hide the next smallest too."""
    hidden = [g for g in groups if 0 < g["referred"] < threshold]
    if len(hidden) == 1:
        others = sorted((g for g in groups if g["referred"] >= threshold), key=lambda g: g["referred"])
        hidden += others[:1]
    for group in hidden:
        group.update(dict.fromkeys(METRICS, None))
        group.update(median_hours_to_acceptance=None, median_hours_to_completion=None, suppressed=True)


def _area_names(keys: set[tuple[int, str]]) -> dict[tuple[int, str], str]:
    from sentinelle.geography.models import AdminArea

    if not keys:
        return {}
    rows = AdminArea.objects.filter(
        version_id__in={v for v, _p in keys}, pcode__in={p for _v, p in keys}
    ).values_list("version_id", "pcode", "name_fr")
    return {(v, p): name for v, p, name in rows}


def referral_statistics(*, user, filters: dict | None = None) -> dict:
    """Referred, pending, accepted, declined, completed, cancelled and median hours to acceptance and
    completion: in total and by service type, receiving organisation and area (the referring case's
    region, or cercle with filters["area_level"] = 2). Filters: date_from, date_to (day referred),
    service_type, organisation (a receiving organisation's id). Two queries."""
    ensure(user, Perm.CASE_STATS, object_type="cases.referral")
    filters = filters or {}
    organisations = organisations_in_scope(user, Perm.CASE_STATS)
    referrals = Referral.objects.filter(is_archived=False)
    if organisations is not None:
        referrals = referrals.filter(
            Q(case__organisation_id__in=organisations) | Q(service__provider_id__in=organisations)
        )
    if filters.get("date_from"):
        referrals = referrals.filter(created_at__date__gte=filters["date_from"])
    if filters.get("date_to"):
        referrals = referrals.filter(created_at__date__lte=filters["date_to"])
    if filters.get("service_type"):
        referrals = referrals.filter(service_type=filters["service_type"])
    if filters.get("organisation"):
        referrals = referrals.filter(service__provider_id=filters["organisation"])
    level = int(filters.get("area_level") or 1)
    groups: dict[str, dict] = {
        "service_type": defaultdict(list),
        "organisation": defaultdict(list),
        "area": defaultdict(list),
    }
    everything = []
    for service_type, provider, path, version_id, *timing in referrals.values_list(
        "service_type",
        "service__provider__acronym",
        "case__area__path",
        "case__area__version_id",
        "status",
        "created_at",
        "accepted_at",
        "completed_at",
    ):
        pcodes = path.strip("/").split("/")
        area_key = (version_id, pcodes[min(level, len(pcodes) - 1)])
        groups["service_type"][service_type].append(timing)
        groups["organisation"][provider or ""].append(timing)
        groups["area"][area_key].append(timing)
        everything.append(timing)
    names = _area_names(set(groups["area"]))
    result = {"total": _summary(everything)}
    for dimension, by_key in groups.items():
        rows = []
        for key, timings in by_key.items():
            if dimension == "service_type":
                label = str(ServiceType(key).label) if key in ServiceType.values else key
            elif dimension == "organisation":
                label = key or gettext("Outside Sentinelle")
            else:
                label = names.get(key, key[1])
                key = key[1]
            rows.append({"key": key, "label": label, **_summary(timings)})
        rows.sort(key=lambda r: (-r["referred"], r["label"]))
        result[f"by_{dimension}"] = rows
    if organisations is None:
        threshold = int(setting("DISCLOSURE_THRESHOLD", 5))
        for dimension in groups:
            _suppress(result[f"by_{dimension}"], threshold)
    result["generated_on"] = timezone.localdate()
    return result
