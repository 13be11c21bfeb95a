"""Reads of the requests for access to a case across organisations (services/case_access.py): the
requester's own requests, and the queue of the managers of the organisation that holds the case.

The queue is scoped by the policy's rule for requests (core/permissions.py): the requests on the cases of
the organisation where the user is a manager, within their areas (an administrator's global reach does
not decide for an organisation). A request that names no case (an unknown number, or a case of the
requester's own organisation) is in no one's queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, QuerySet
from django.utils import timezone

from sentinelle.cases.models import CaseAccessRequest
from sentinelle.cases.services._casework import access_request_days
from sentinelle.core.permissions import Perm, get_object_for_user, scope_queryset

__all__ = [
    "MyAccessRequest",
    "access_request_get",
    "access_request_queue",
    "access_requests_of",
    "access_requests_waiting",
]

Status = CaseAccessRequest.Status
MINE_SHOWN = 50


def _decidable(user) -> QuerySet:
    """Requests on the cases the user decides on (any status), through the policy's rule."""
    return scope_queryset(user, CaseAccessRequest.objects.all(), Perm.CASE_APPROVE)


def access_request_queue(*, user) -> QuerySet:
    """Requests waiting for the user's decision, oldest first (lapsed ones left out)."""
    since = timezone.now() - timedelta(days=access_request_days())
    return (
        _decidable(user)
        .filter(status=Status.REQUESTED, created_at__gt=since)
        .select_related("case", "requested_by", "requesting_organisation")
        .order_by("created_at")
    )


def access_requests_waiting(*, user) -> int:
    """How many requests wait for the user's decision (the case management home page)."""
    return access_request_queue(user=user).count()


def access_request_get(*, user, public_id, request=None) -> CaseAccessRequest:
    """One request the user decides on (Http404 alike when absent or not theirs; the refusal audited)."""
    queryset = CaseAccessRequest.objects.select_related(
        "case__organisation", "case__owner", "case__area", "requested_by"
    )
    return get_object_for_user(user, queryset, public_id, Perm.CASE_APPROVE, request=request)


@dataclass
class MyAccessRequest:
    """What the requester sees of a request: the same for every request until the case's organisation
    answers (whether the number named a case or not); the case only while a grant lasts."""

    case_number: str
    asked_at: datetime
    hours: int
    status: str
    status_label: str
    expires_at: datetime | None = None
    answer: str = ""
    case_public_id: object = None


def access_requests_of(*, user) -> list[MyAccessRequest]:
    """The user's own requests, newest first, with their status as of now."""
    now = timezone.now()
    lapse = timedelta(days=access_request_days())
    rows = CaseAccessRequest.objects.filter(requested_by=user).defer("reason")
    rows = rows.annotate(case_uuid=F("case__public_id"))
    shown = []
    for row in rows.order_by("-created_at")[:MINE_SHOWN]:
        status = row.status
        if status == Status.REQUESTED and row.created_at <= now - lapse:
            status = Status.EXPIRED
        if status == Status.GRANTED and row.expires_at <= now:
            status = Status.EXPIRED
        shown.append(
            MyAccessRequest(
                case_number=row.case_number,
                asked_at=row.created_at,
                hours=row.hours_requested,
                status=status,
                status_label=str(Status(status).label),
                expires_at=row.expires_at if status == Status.GRANTED else None,
                answer=row.decision_note if status == Status.REFUSED else "",
                case_public_id=row.case_uuid if status == Status.GRANTED else None,
            )
        )
    return shown
