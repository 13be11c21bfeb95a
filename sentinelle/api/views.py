"""REST API v1 resources: read-only, over the same selectors as the UI (so the scope is identical), each
view declaring its permission (`required_perm`) for PolicyPermission and the URL walker.

Lists never decrypt identities and are not audited (as the UI lists); one record is fetched through the
domain's `*_get` selector (404 alike for "absent" and "not yours", audited where the UI audits it).
"""

from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from sentinelle.api import filters, schema, serializers
from sentinelle.api.permissions import DeclaredAccess
from sentinelle.core.permissions import Perm

assert schema  # imported for its side effect: registers the token scheme with drf-spectacular


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class ReadOnlyResource(DeclaredAccess, viewsets.ReadOnlyModelViewSet):
    """List (paginated, filtered) and retrieve by public id through the selectors."""

    pagination_class = Pagination
    lookup_field = "public_id"
    lookup_url_kwarg = "public_id"
    detail_serializer_class = None

    def get_serializer_class(self):
        if self.action == "retrieve" and self.detail_serializer_class is not None:
            return self.detail_serializer_class
        return self.serializer_class

    def fetch(self, public_id):
        # Each resource fetches through its domain's selector (404 alike, audited reads).
        raise ImproperlyConfigured(f"{type(self).__name__} must fetch one record through its selector.")

    def get_object(self):
        obj = self.fetch(self.kwargs[self.lookup_url_kwarg])
        self.check_object_permissions(self.request, obj)
        return obj

    def detail_context(self, obj) -> dict:
        return {}

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        context = self.get_serializer_context() | self.detail_context(obj)
        return Response(self.get_serializer_class()(obj, context=context).data)


# --- Incidents ---------------------------------------------------------------------------------


class IncidentViewSet(ReadOnlyResource):
    """Protection incidents the user may see (same scope as the incident list). The confidential account
    and coordinates appear only in one incident's detail, for a user allowed to read them there (audited)."""

    api_description = _(
        "Protection incidents the user may see (same scope as the incident list). The confidential "
        "account and coordinates appear only in one incident's detail, for a user allowed to read them "
        "there (audited)."
    )

    required_perm = Perm.INCIDENT_VIEW
    serializer_class = serializers.IncidentSerializer
    detail_serializer_class = serializers.IncidentDetailSerializer
    filterset_class = filters.IncidentFilterSet

    def get_queryset(self):
        from sentinelle.monitoring.selectors import incident_list

        return incident_list(user=self.request.user)

    def fetch(self, public_id):
        from sentinelle.monitoring.selectors import incident_get

        return incident_get(user=self.request.user, public_id=public_id, request=self.request._request)

    def detail_context(self, incident):
        from sentinelle.monitoring.selectors import incident_confidential

        confidential = incident_confidential(
            user=self.request.user, incident=incident, request=self.request._request
        )
        return {"confidential": confidential}


# --- Services ----------------------------------------------------------------------------------


class ServiceViewSet(ReadOnlyResource):
    """The service directory (active services by default; `status=` for others)."""

    api_description = _("The service directory (active services by default; `status=` for others).")

    required_perm = Perm.SERVICE_VIEW
    serializer_class = serializers.ServiceSerializer
    detail_serializer_class = serializers.ServiceDetailSerializer
    filterset_class = filters.ServiceFilterSet

    def get_queryset(self):
        from sentinelle.directory.selectors import service_list

        status = self.request.query_params.get("status", "active")
        return service_list(user=self.request.user, status=status)

    def fetch(self, public_id):
        from sentinelle.directory.selectors import service_get

        return service_get(user=self.request.user, public_id=public_id, request=self.request._request)

    def detail_context(self, service):
        from sentinelle.directory.selectors import service_areas_served

        return {"areas_served": service_areas_served(service)}


# --- Cases and persons -------------------------------------------------------------------------


class CaseViewSet(ReadOnlyResource):
    """The user's cases (a case worker's own and assigned, a manager's organisation's). No identity in
    the list; one case's detail (audited) adds the person's identity where the policy lets the user see it."""

    api_description = _(
        "The user's cases (a case worker's own and assigned, a manager's organisation's). No identity in "
        "the list; one case's detail (audited) adds the person's identity where the policy lets the user "
        "see it."
    )

    required_perm = Perm.CASE_VIEW
    serializer_class = serializers.CaseSerializer
    detail_serializer_class = serializers.CaseDetailSerializer
    filterset_class = filters.CaseFilterSet

    def get_queryset(self):
        from sentinelle.cases.selectors.cases import case_list

        return (
            case_list(user=self.request.user)
            .select_related("person", "area", "owner", "organisation")
            .defer(*_person_identity("person__"))
        )

    def fetch(self, public_id):
        from sentinelle.cases.selectors.cases import case_get

        return case_get(user=self.request.user, public_id=public_id, request=self.request._request)

    def detail_context(self, case):
        from sentinelle.cases.selectors.cases import persons_visible

        return {"identity_allowed": case.person_id in persons_visible(self.request.user, [case.person_id])}


def _person_identity(prefix: str = "") -> list[str]:
    return [f"{prefix}{name}" for name in (*serializers.IDENTITY_FIELDS, "full_name")]


class PersonViewSet(ReadOnlyResource):
    """Persons the user may see (through their cases). No identity in the list; one person's detail
    (audited, like the person page) gives the identity."""

    api_description = _(
        "Persons the user may see (through their cases). No identity in the list; one person's detail "
        "(audited, like the person page) gives the identity."
    )

    required_perm = Perm.PERSON_VIEW
    serializer_class = serializers.PersonSerializer
    detail_serializer_class = serializers.PersonDetailSerializer
    filterset_class = filters.PersonFilterSet

    def get_queryset(self):
        from sentinelle.cases.models import Person
        from sentinelle.core.permissions import scope_queryset

        scoped = scope_queryset(self.request.user, Person.objects.all(), Perm.PERSON_VIEW).values("pk")
        return (
            Person.objects.filter(pk__in=scoped, is_archived=False)
            .select_related("area", "organisation", "merged_into")
            .defer(*_person_identity(), *_person_identity("merged_into__"))
            .order_by("-created_at", "-id")
        )

    def fetch(self, public_id):
        from sentinelle.cases.selectors.persons import person_get

        return person_get(user=self.request.user, public_id=public_id, request=self.request._request)

    def detail_context(self, person):
        return {"identity_allowed": True}


# --- Referrals ---------------------------------------------------------------------------------


class ReferralViewSet(ReadOnlyResource):
    """Referrals made for the user's cases (the referring side)."""

    api_description = _("Referrals made for the user's cases (the referring side).")

    required_perm = Perm.REFERRAL_VIEW
    serializer_class = serializers.ReferralSerializer
    detail_serializer_class = serializers.ReferralDetailSerializer
    filterset_class = filters.ReferralFilterSet

    def get_queryset(self):
        from sentinelle.cases.selectors.referrals import referral_list

        return referral_list(user=self.request.user)

    def fetch(self, public_id):
        from sentinelle.cases.selectors.referrals import referral_get

        return referral_get(user=self.request.user, public_id=public_id, request=self.request._request)


class ReceivedReferralViewSet(ReadOnlyResource):
    """Referrals sent to the services of the user's organisation (the receiving side): the agreed
    minimum, never the case; one referral's detail (audited) adds the reason and, except for GBV cases,
    the person's given name. `status`: pending, accepted, declined, completed, cancelled, open, all."""

    api_description = _(
        "Referrals sent to the services of the user's organisation (the receiving side): the agreed "
        "minimum, never the case; one referral's detail (audited) adds the reason and, except for GBV "
        "cases, the person's given name. `status`: pending, accepted, declined, completed, cancelled, "
        "open, all."
    )

    required_perm = Perm.REFERRAL_RECEIVE
    serializer_class = serializers.ReceivedReferralSerializer
    detail_serializer_class = serializers.ReceivedReferralDetailSerializer
    filterset_class = None

    def get_queryset(self):
        from sentinelle.cases.selectors.referrals import referral_queue

        if getattr(self, "swagger_fake_view", False):  # schema generation
            from sentinelle.cases.models import Referral

            return Referral.objects.none()
        status = self.request.query_params.get("status", "all")
        return referral_queue(user=self.request.user, status=status)

    def fetch(self, public_id):
        from sentinelle.cases.selectors.referrals import referral_received_get

        return referral_received_get(
            user=self.request.user, public_id=public_id, request=self.request._request
        )


# --- Population movement -----------------------------------------------------------------------


class PopulationFigureViewSet(ReadOnlyResource):
    """Population figures (aggregates: no person is ever recorded there), every round and source."""

    api_description = _(
        "Population figures (aggregates: no person is ever recorded there), every round and source."
    )

    required_perm = Perm.POPULATION_VIEW
    serializer_class = serializers.PopulationFigureSerializer
    filterset_class = filters.PopulationFigureFilterSet

    def get_queryset(self):
        from sentinelle.displacement.selectors import figure_list

        return figure_list(user=self.request.user).select_related("area").order_by("-round_date", "-id")

    def fetch(self, public_id):
        from sentinelle.displacement.selectors import figure_get

        return figure_get(user=self.request.user, public_id=public_id, request=self.request._request)


class DisplacementEventViewSet(ReadOnlyResource):
    """Displacement events: people who arrived in an area on a date, and why (aggregates, no person)."""

    api_description = _(
        "Displacement events: people who arrived in an area on a date, and why (aggregates, no person)."
    )

    required_perm = Perm.POPULATION_VIEW
    serializer_class = serializers.DisplacementEventSerializer
    filterset_class = filters.DisplacementEventFilterSet

    def get_queryset(self):
        from sentinelle.displacement.selectors import event_list

        events = event_list(user=self.request.user)
        return events.defer(
            "destination_area__geometry",
            "destination_area__bbox",
            "origin_area__geometry",
            "origin_area__bbox",
        ).order_by("-date", "-id")

    def fetch(self, public_id):
        from sentinelle.core.permissions import get_object_for_user

        return get_object_for_user(
            self.request.user,
            self.get_queryset(),
            public_id,
            Perm.POPULATION_VIEW,
            request=self.request._request,
        )


# --- Activities (4W) and indicators -------------------------------------------------------------


class ActivityViewSet(ReadOnlyResource):
    """Partners' activities the user may see (their organisation's within their areas; every partner's
    for the IMO once submitted), with the people reached."""

    api_description = _(
        "Partners' activities the user may see (their organisation's within their areas; every partner's "
        "for the IMO once submitted), with the people reached."
    )

    required_perm = Perm.ACTIVITY_VIEW
    serializer_class = serializers.ActivitySerializer
    detail_serializer_class = serializers.ActivityDetailSerializer
    filterset_class = filters.ActivityFilterSet

    def _places(self, activities):
        from sentinelle.activities.selectors.reporting import reached_annotations

        return (
            activities.select_related("organisation", "project", "area", "report__period")
            .defer("area__geometry", "area__bbox")
            .annotate(**reached_annotations())
        )

    def get_queryset(self):
        from sentinelle.activities.selectors.reporting import visible_activities

        return self._places(visible_activities(self.request.user)).order_by("-start_date", "-id")

    def fetch(self, public_id):
        from sentinelle.activities.selectors.reporting import activity_get

        activity = activity_get(user=self.request.user, public_id=public_id, request=self.request._request)
        return (
            self._places(type(activity).objects.filter(pk=activity.pk))
            .prefetch_related("beneficiaries")
            .get()
        )


class IndicatorViewSet(ReadOnlyResource):
    """Indicators of the results frameworks; one indicator's detail gives its results (value, target,
    achievement) by year and by quarter of `year` (default: this year), and the values entered by hand."""

    api_description = _(
        "Indicators of the results frameworks; one indicator's detail gives its results (value, target, "
        "achievement) by year and by quarter of `year` (default: this year), and the values entered by "
        "hand."
    )

    required_perm = Perm.INDICATOR_VIEW
    serializer_class = serializers.IndicatorSerializer
    detail_serializer_class = serializers.IndicatorDetailSerializer
    filterset_class = filters.IndicatorFilterSet

    def get_queryset(self):
        from sentinelle.activities.models import Indicator
        from sentinelle.core.permissions import scope_queryset

        indicators = Indicator.objects.filter(is_archived=False, framework__is_archived=False)
        return (
            scope_queryset(self.request.user, indicators, Perm.INDICATOR_VIEW)
            .select_related("framework", "node")
            .order_by("framework__code", "order", "code")
        )

    def fetch(self, public_id):
        from sentinelle.activities.selectors.results import indicator_get

        return indicator_get(user=self.request.user, public_id=public_id, request=self.request._request)

    def _year(self) -> int:
        from django.utils import timezone

        try:
            return int(self.request.query_params.get("year") or timezone.localdate().year)
        except ValueError:
            return timezone.localdate().year

    def detail_context(self, indicator):
        from sentinelle.activities.selectors.results import indicator_report

        year = self._year()
        return {"year": year, "report": indicator_report(indicator, year=year)}


# --- Index -------------------------------------------------------------------------------------


class ApiRootView(DeclaredAccess, APIView):
    """The resources of API v1."""

    api_description = _("The resources of API v1.")

    required_perm = Perm.HOME_VIEW

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        names = {
            "incidents": "api:incident-list",
            "services": "api:service-list",
            "cases": "api:case-list",
            "persons": "api:person-list",
            "referrals": "api:referral-list",
            "referrals_received": "api:referral-received-list",
            "population_figures": "api:population-figure-list",
            "displacement_events": "api:displacement-event-list",
            "activities": "api:activity-list",
            "indicators": "api:indicator-list",
            "stats": "api:stats-catalogue",
            "schema": "api:schema",
            "docs": "api:docs",
        }
        return Response({key: request.build_absolute_uri(reverse(name)) for key, name in names.items()})
