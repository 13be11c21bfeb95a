"""Reads of the API: a user's own tokens, and the resources through the domains' own selectors (so the
scope is the UI's) with the joins, the order and the left-out columns (identities, geometries) of the
API's rows. Each takes the user."""

from django.db.models import QuerySet

from sentinelle.activities.models import Indicator
from sentinelle.activities.selectors import reporting
from sentinelle.api.models import ApiToken
from sentinelle.cases.models import Person
from sentinelle.cases.selectors import cases
from sentinelle.core.permissions import Perm, get_object_for_user, scope_queryset
from sentinelle.displacement import selectors as displacement

# A person's identity: never read for a list; a detail serializer shows it where the policy allows.
IDENTITY_FIELDS = (
    "given_name",
    "family_name",
    "other_names",
    "phone",
    "address",
    "date_of_birth",
    "caregiver_name",
    "caregiver_phone",
)


def api_tokens_of(*, user) -> QuerySet:
    """The user's own API tokens (the policy gives nobody else's), newest first."""
    return scope_queryset(user, ApiToken.objects.all(), Perm.API_TOKEN_MANAGE).order_by("-created_at")


def api_token_get(*, user, public_id, request=None) -> ApiToken:
    return get_object_for_user(
        user, ApiToken.objects.all(), public_id, Perm.API_TOKEN_MANAGE, request=request
    )


def _identity(prefix: str = "") -> list[str]:
    return [f"{prefix}{name}" for name in (*IDENTITY_FIELDS, "full_name")]


def case_list(*, user) -> QuerySet:
    return (
        cases.case_list(user=user)
        .select_related("person", "area", "owner", "organisation")
        .defer(*_identity("person__"))
    )


def person_list(*, user) -> QuerySet:
    """Persons the user may see, not archived, newest first; no identity column is read."""
    scoped = scope_queryset(user, Person.objects.all(), Perm.PERSON_VIEW).values("pk")
    return (
        Person.objects.filter(pk__in=scoped, is_archived=False)
        .select_related("area", "organisation", "merged_into")
        .defer(*_identity(), *_identity("merged_into__"))
        .order_by("-created_at", "-id")
    )


def figure_list(*, user) -> QuerySet:
    return displacement.figure_list(user=user).select_related("area").order_by("-round_date", "-id")


def event_list(*, user) -> QuerySet:
    return (
        displacement.event_list(user=user)
        .defer(
            "destination_area__geometry",
            "destination_area__bbox",
            "origin_area__geometry",
            "origin_area__bbox",
        )
        .order_by("-date", "-id")
    )


def event_get(*, user, public_id, request=None):
    return get_object_for_user(user, event_list(user=user), public_id, Perm.POPULATION_VIEW, request=request)


def _activity_rows(activities: QuerySet) -> QuerySet:
    return (
        activities.select_related("organisation", "project", "area", "report__period")
        .defer("area__geometry", "area__bbox")
        .annotate(**reporting.reached_annotations())
    )


def activity_list(*, user) -> QuerySet:
    return _activity_rows(reporting.visible_activities(user)).order_by("-start_date", "-id")


def activity_get(*, user, public_id, request=None):
    """One activity (404 alike, audited as in the UI) with the people reached and its beneficiary lines."""
    activity = reporting.activity_get(user=user, public_id=public_id, request=request)
    rows = _activity_rows(type(activity).objects.filter(pk=activity.pk))
    return rows.prefetch_related("beneficiaries").get()


def indicator_list(*, user) -> QuerySet:
    indicators = Indicator.objects.filter(is_archived=False, framework__is_archived=False)
    return (
        scope_queryset(user, indicators, Perm.INDICATOR_VIEW)
        .select_related("framework", "node")
        .order_by("framework__code", "order", "code")
    )
