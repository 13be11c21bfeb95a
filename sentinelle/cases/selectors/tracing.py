"""Reading tracing requests, their candidate matches and reunifications, through the policy.

A tracing request belongs to the organisation that received the family (Perm.TRACING_VIEW on it); a
match belongs to the child's case (scoped like the case). So the family's organisation sees that a
match was proposed, its score, reasons and decision, but not the child's record; the child's case
worker sees the request's reference, the sought names, sex, age and where the child was last seen, and
decides. The inquirer's name and phone stay with the family's organisation: show them only through
`tracing_request_get`.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sentinelle.cases.models import Reunification, TracingMatch, TracingRequest
from sentinelle.core.permissions import Perm, get_object_for_user, has_perm, refuse, scope_queryset

__all__ = [
    "reasons_text",
    "reunifications_for_case",
    "tracing_match_confirmed_for_case",
    "tracing_match_get",
    "tracing_matches_for_case",
    "tracing_matches_for_request",
    "tracing_proposals_for_user",
    "tracing_request_get",
    "tracing_request_list",
]

_PLACES = {
    "place_commune": _("Last seen in the commune where the child is registered"),
    "place_cercle": _("Last seen in the same cercle"),
    "place_region": _("Last seen in the same region"),
}


def reasons_text(reasons: list[dict]) -> list[str]:
    """A match's stored reasons (codes and numbers) as sentences in the active language."""
    texts = []
    for reason in reasons or []:
        code = reason.get("code")
        if code == "name":
            texts.append(
                gettext("Name similarity %(score)s %%") % {"score": round(100 * reason.get("similarity", 0))}
            )
        elif code == "sex_same":
            texts.append(gettext("Same sex"))
        elif code == "sex_different":
            texts.append(gettext("Different sex"))
        elif code == "age":
            texts.append(
                gettext(
                    "Age given by the family: %(sought)s years; "
                    "age of the registered child now: %(now)s years"
                )
                % {"sought": reason.get("sought"), "now": reason.get("registered")}
            )
        elif code in _PLACES:
            texts.append(str(_PLACES[code]))
    return texts


def tracing_request_list(*, user, status: str | None = None) -> QuerySet:
    """The tracing requests of the user's organisations, newest first."""
    queryset = TracingRequest.objects.select_related("last_seen_area", "organisation")
    if status:
        queryset = queryset.filter(status=status)
    return scope_queryset(user, queryset, Perm.TRACING_VIEW).order_by("-created_at")


def tracing_request_get(*, user, public_id, request=None) -> TracingRequest:
    """One request of the user's organisation (404 otherwise, alike); the read is audited."""
    queryset = TracingRequest.objects.select_related("last_seen_area", "organisation")
    return get_object_for_user(user, queryset, public_id, Perm.TRACING_VIEW, request=request)


def tracing_matches_for_request(*, user, tracing_request: TracingRequest) -> QuerySet:
    """The matches proposed for a request, best first: for its organisation (no child's identity)."""
    if not has_perm(user, Perm.TRACING_VIEW, tracing_request):
        return TracingMatch.objects.none()
    return (
        TracingMatch.objects.filter(request=tracing_request)
        .only("id", "request_id", "case_id", "score", "reasons", "status", "decided_at")
        .order_by("-score", "id")
    )


def tracing_matches_for_case(*, user, case) -> QuerySet:
    """The requests matched with a case, best first: for the child's case worker, who decides."""
    queryset = TracingMatch.objects.filter(case=case).select_related("request", "request__last_seen_area")
    return scope_queryset(user, queryset, Perm.TRACING_VIEW).order_by("-score", "id")


def tracing_proposals_for_user(*, user) -> QuerySet:
    """Matches waiting for a decision on the cases the user may decide on (for the home page)."""
    queryset = TracingMatch.objects.filter(
        status=TracingMatch.Status.PROPOSED, request__status=TracingRequest.Status.OPEN
    ).select_related("case", "request")
    return scope_queryset(user, queryset, Perm.TRACING_EDIT)


def tracing_match_get(*, user, match_id: int, perm: Perm = Perm.TRACING_VIEW, request=None) -> TracingMatch:
    """One match on a case in the user's scope (404 otherwise, alike; a refusal is audited)."""
    queryset = TracingMatch.objects.select_related("request", "request__last_seen_area", "case")
    try:
        return scope_queryset(user, queryset, perm).get(pk=match_id)
    except (ObjectDoesNotExist, ValueError, TypeError):
        pass
    refuse(
        user,
        perm,
        message=gettext("Not found."),
        exception=Http404,
        object_type="cases.tracingmatch",
        object_id=str(match_id)[:64],
        request=request,
    )


def tracing_match_confirmed_for_case(*, user, case) -> TracingMatch | None:
    """The latest confirmed match of a case the user may trace on, which a reunification closes."""
    matches = scope_queryset(user, TracingMatch.objects.filter(case=case), Perm.TRACING_EDIT)
    return matches.filter(status=TracingMatch.Status.CONFIRMED).order_by("-decided_at").first()


def reunifications_for_case(*, user, case) -> QuerySet:
    return scope_queryset(user, Reunification.objects.filter(case=case), Perm.TRACING_VIEW)
