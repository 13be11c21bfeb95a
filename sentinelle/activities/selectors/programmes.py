"""Reads of programmes and projects (public reference data: every holder of PROGRAMME_VIEW reads them)."""

from django.db.models import Count, Prefetch, Q, QuerySet

from sentinelle.accounts.models import Organisation, OrganisationType
from sentinelle.activities.models import Programme, Project, ResultsFramework
from sentinelle.core.permissions import Perm, get_object_for_user, organisations_in_scope, scope_queryset
from sentinelle.geography.models import AdminArea

_AREAS = Prefetch("areas", queryset=AdminArea.objects.defer("geometry", "bbox").order_by("pcode"))


def programme_list(*, user, q: str = "") -> QuerySet:
    programmes = (
        scope_queryset(user, Programme.objects.filter(is_archived=False), Perm.PROGRAMME_VIEW)
        .select_related("lead_organisation")
        .prefetch_related("donors", "implementing_partners", _AREAS)
        .annotate(project_count=Count("projects", filter=Q(projects__is_archived=False), distinct=True))
        .order_by("code")
    )
    if q:
        programmes = programmes.filter(Q(code__icontains=q) | Q(name__icontains=q))
    return programmes


def programme_get(*, user, public_id, request=None) -> Programme:
    queryset = Programme.objects.select_related("lead_organisation").prefetch_related(
        "donors",
        "implementing_partners",
        _AREAS,
        Prefetch(
            "projects",
            queryset=Project.objects.filter(is_archived=False)
            .select_related("organisation")
            .prefetch_related("donors")
            .order_by("code"),
        ),
        Prefetch("frameworks", queryset=ResultsFramework.objects.order_by("code")),
    )
    return get_object_for_user(user, queryset, public_id, Perm.PROGRAMME_VIEW, request=request)


def project_list(*, user, organisation=None, without_programme: bool = False) -> QuerySet:
    projects = (
        scope_queryset(user, Project.objects.filter(is_archived=False), Perm.PROGRAMME_VIEW)
        .select_related("organisation", "programme")
        .prefetch_related("donors", _AREAS)
        .annotate(activity_count=Count("activities", filter=Q(activities__is_archived=False)))
        .order_by("code")
    )
    if organisation is not None:
        projects = projects.filter(organisation=organisation)
    if without_programme:
        projects = projects.filter(programme__isnull=True)
    return projects


def project_get(*, user, public_id, request=None) -> Project:
    queryset = Project.objects.select_related("organisation", "programme").prefetch_related("donors", _AREAS)
    return get_object_for_user(user, queryset, public_id, Perm.PROGRAMME_VIEW, request=request)


def manageable_organisations(*, user) -> QuerySet:
    """Organisations whose programmes and projects the user may keep (lead or implementing)."""
    ids = organisations_in_scope(user, Perm.PROGRAMME_MANAGE)
    organisations = Organisation.objects.filter(is_archived=False).order_by("acronym")
    return organisations if ids is None else organisations.filter(pk__in=ids)


def donor_choices(*, user) -> QuerySet:
    """The donors a programme or project may name (reference data)."""
    return Organisation.objects.filter(is_archived=False, type=OrganisationType.DONOR).order_by("acronym")


def partner_choices(*, user) -> QuerySet:
    """The implementing partners a programme may name: every organisation (reference data)."""
    return Organisation.objects.filter(is_archived=False).order_by("acronym")


def programme_choices(*, user) -> QuerySet:
    """The programmes a project may belong to (reference data: all that are not archived)."""
    return Programme.objects.filter(is_archived=False).order_by("code")


def programme_find(*, user, public_id: str) -> Programme | None:
    """The programme a new project is started from (its public id in the address), if any."""
    return programme_choices(user=user).filter(public_id__iexact=public_id[:36]).first()
