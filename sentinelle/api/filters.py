"""Query filters of the list endpoints (django-filter), applied on top of the domain selectors' querysets:
the selectors scope, these only narrow. Areas by P-code (subtree), organisations by acronym."""

import django_filters
from django.utils.translation import gettext_lazy as _

from sentinelle.core.permissions import area_q
from sentinelle.geography.selectors import areas_by_pcode


class AreaFilter(django_filters.CharFilter):
    """The rows located in the area with this P-code or below it; an unknown P-code matches nothing."""

    def __init__(self, *args, path: str = "area", **kwargs):
        self.path = path
        kwargs.setdefault("label", _("Area P-code (this area and below)"))
        super().__init__(*args, **kwargs)

    def filter(self, queryset, value):
        if not value:
            return queryset
        areas = areas_by_pcode(value)
        if not areas:
            return queryset.none()
        return queryset.filter(area_q(self.path, areas))


def _organisation_filter(field_name: str = "organisation__acronym"):
    return django_filters.CharFilter(
        field_name=field_name, lookup_expr="iexact", label=_("Organisation acronym")
    )


def _date_range(field_name: str, start=None, end=None):
    """The two filters of a period (labelled "From" and "To" unless told): on or after the first date, on or
    before the second."""
    return (
        django_filters.DateFilter(field_name=field_name, lookup_expr="gte", label=start or _("From")),
        django_filters.DateFilter(field_name=field_name, lookup_expr="lte", label=end or _("To")),
    )


class IncidentFilterSet(django_filters.FilterSet):
    date_from, date_to = _date_range("date_start")
    status = django_filters.CharFilter(field_name="status", label=_("Status"))
    category = django_filters.CharFilter(method="filter_category", label=_("Category"))
    source_mechanism = django_filters.CharFilter(field_name="source_mechanism", label=_("Source"))
    organisation = _organisation_filter()
    area = AreaFilter()
    reference = django_filters.CharFilter(
        field_name="reference", lookup_expr="icontains", label=_("Reference")
    )

    def filter_category(self, queryset, name, value):
        from sentinelle.monitoring.models import IncidentCategory

        links = IncidentCategory.objects.filter(category=value)
        return queryset.filter(pk__in=links.values("incident_id"))


class ServiceFilterSet(django_filters.FilterSet):
    service_type = django_filters.CharFilter(field_name="service_type", label=_("Type of service"))
    provider = _organisation_filter("provider__acronym")
    area = django_filters.CharFilter(method="filter_serving", label=_("Serving the area with this P-code"))
    q = django_filters.CharFilter(method="filter_text", label=_("Search"))

    def filter_serving(self, queryset, name, value):
        from sentinelle.directory.selectors import serving_q

        areas = areas_by_pcode(value)
        if not areas:
            return queryset.none()
        return queryset.filter(serving_q(areas[0]))

    def filter_text(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value))


class CaseFilterSet(django_filters.FilterSet):
    status = django_filters.CharFilter(field_name="status", label=_("Status"))
    case_type = django_filters.CharFilter(field_name="case_type", label=_("Type of case"))
    risk_level = django_filters.CharFilter(field_name="risk_level", label=_("Risk level"))
    opened_from, opened_to = _date_range("opened_on", _("Opened from"), _("Opened until"))
    organisation = _organisation_filter()
    area = AreaFilter()


class PersonFilterSet(django_filters.FilterSet):
    sex = django_filters.CharFilter(field_name="sex", label=_("Sex"))
    age_group = django_filters.CharFilter(field_name="age_group", label=_("Age group"))
    displacement_status = django_filters.CharFilter(
        field_name="displacement_status", label=_("Displacement status")
    )
    organisation = _organisation_filter()
    area = AreaFilter()


class ReferralFilterSet(django_filters.FilterSet):
    status = django_filters.CharFilter(field_name="status", label=_("Status"))
    service_type = django_filters.CharFilter(field_name="service_type", label=_("Type of service"))
    urgency = django_filters.CharFilter(field_name="urgency", label=_("Urgency"))
    created_from, created_to = _date_range("created_at__date")


class PopulationFigureFilterSet(django_filters.FilterSet):
    date_from, date_to = _date_range("round_date")
    status = django_filters.CharFilter(field_name="status", label=_("Population status"))
    source = django_filters.CharFilter(field_name="source", label=_("Source"))
    organisation = _organisation_filter()
    area = AreaFilter()


class DisplacementEventFilterSet(django_filters.FilterSet):
    date_from, date_to = _date_range("date")
    cause = django_filters.CharFilter(field_name="cause", label=_("Cause"))
    source = django_filters.CharFilter(field_name="source", label=_("Source"))
    organisation = _organisation_filter()
    area = AreaFilter(path="destination_area", label=_("Area of arrival P-code (this area and below)"))


class ActivityFilterSet(django_filters.FilterSet):
    date_from, date_to = _date_range("start_date")
    activity_type = django_filters.CharFilter(field_name="activity_type", label=_("Type of activity"))
    status = django_filters.CharFilter(field_name="status", label=_("Status"))
    report_status = django_filters.CharFilter(field_name="report__status", label=_("Report status"))
    project = django_filters.CharFilter(
        field_name="project__code", lookup_expr="iexact", label=_("Project code")
    )
    organisation = _organisation_filter()
    area = AreaFilter()


class IndicatorFilterSet(django_filters.FilterSet):
    framework = django_filters.CharFilter(
        field_name="framework__code", lookup_expr="iexact", label=_("Results framework code")
    )
    source = django_filters.CharFilter(field_name="source", label=_("Source"))
