"""REST API v1 resources: read-only, over the same selectors as the UI (so the scope is identical), each
view declaring its permission (`required_perm`) for PolicyPermission and the URL walker.

Lists never decrypt identities and are not audited (as the UI lists); one record is fetched through the
domain's `*_get` selector (404 alike for "absent" and "not yours", audited where the UI audits it).
"""

from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from sentinelle.activities.selectors import results
from sentinelle.api import filters, schema, selectors, serializers
from sentinelle.api.permissions import DeclaredAccess
from sentinelle.cases.models import Referral
from sentinelle.cases.selectors import cases, persons, referrals
from sentinelle.core.permissions import Perm
from sentinelle.directory import selectors as directory
from sentinelle.displacement import selectors as displacement
from sentinelle.monitoring.selectors import incidents

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

    # The selectors of the resource: the list's, called with the user, and one record's, called with the
    # user, the public id and the request (404 alike for "absent" and "not yours", audited where the UI is).
    list_selector = None
    get_selector = None

    def get_queryset(self):
        return self.list_selector(user=self.request.user)

    def fetch(self, public_id):
        if self.get_selector is None:
            raise ImproperlyConfigured(f"{type(self).__name__} must fetch one record through its selector.")
        return self.get_selector(user=self.request.user, public_id=public_id, request=self.request._request)

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

    list_selector = staticmethod(incidents.incident_list)
    get_selector = staticmethod(incidents.incident_get)

    def detail_context(self, incident):
        confidential = incidents.incident_confidential(
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
        return directory.service_list(
            user=self.request.user, status=self.request.query_params.get("status", "active")
        )

    get_selector = staticmethod(directory.service_get)

    def detail_context(self, service):
        return {"areas_served": directory.service_areas_served(service)}


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

    list_selector = staticmethod(selectors.case_list)
    get_selector = staticmethod(cases.case_get)

    def detail_context(self, case):
        return {
            "identity_allowed": case.person_id in cases.persons_visible(self.request.user, [case.person_id])
        }


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

    list_selector = staticmethod(selectors.person_list)
    get_selector = staticmethod(persons.person_get)

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

    list_selector = staticmethod(referrals.referral_list)
    get_selector = staticmethod(referrals.referral_get)


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
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no rows
            return Referral.objects.none()
        return referrals.referral_queue(
            user=self.request.user, status=self.request.query_params.get("status", "all")
        )

    get_selector = staticmethod(referrals.referral_received_get)


# --- Population movement -----------------------------------------------------------------------


class PopulationFigureViewSet(ReadOnlyResource):
    """Population figures (aggregates: no person is ever recorded there), every round and source."""

    api_description = _(
        "Population figures (aggregates: no person is ever recorded there), every round and source."
    )

    required_perm = Perm.POPULATION_VIEW
    serializer_class = serializers.PopulationFigureSerializer
    filterset_class = filters.PopulationFigureFilterSet

    list_selector = staticmethod(selectors.figure_list)
    get_selector = staticmethod(displacement.figure_get)


class DisplacementEventViewSet(ReadOnlyResource):
    """Displacement events: people who arrived in an area on a date, and why (aggregates, no person)."""

    api_description = _(
        "Displacement events: people who arrived in an area on a date, and why (aggregates, no person)."
    )

    required_perm = Perm.POPULATION_VIEW
    serializer_class = serializers.DisplacementEventSerializer
    filterset_class = filters.DisplacementEventFilterSet

    list_selector = staticmethod(selectors.event_list)
    get_selector = staticmethod(selectors.event_get)


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

    list_selector = staticmethod(selectors.activity_list)
    get_selector = staticmethod(selectors.activity_get)


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

    list_selector = staticmethod(selectors.indicator_list)
    get_selector = staticmethod(results.indicator_get)

    def _year(self) -> int:
        try:
            return int(self.request.query_params.get("year") or timezone.localdate().year)
        except ValueError:
            return timezone.localdate().year

    def detail_context(self, indicator):
        year = self._year()
        return {"year": year, "report": results.indicator_report(indicator, year=year)}


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
