"""The figures of population movement, declared for core.datasets (dashboards, indicators, the API).

- population: the figures that count as of `filters.date_to` (today when absent), by the rules of
  selectors.py (newest round, one source, a cercle through its communes or as a whole): a snapshot,
  so the dates are applied by the base (dates_in_base) and `date_from` is not used.
- displacement_events: events over a period, by their date and area of arrival.
- people_in_need: needs by year and group, the most detailed area counted when areas overlap.
"""

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sentinelle.core.codes import PopulationStatus
from sentinelle.core.datasets import Dataset, Dimension, Filters, Measure, register
from sentinelle.core.permissions import Perm
from sentinelle.displacement.models import (
    DisplacementEvent,
    EventCause,
    FigureSource,
    PeopleInNeed,
    PopulationFigure,
)
from sentinelle.displacement.selectors import counted_figure_ids, counted_need_ids


def _population(filters: Filters):
    as_of = filters.date_to or timezone.localdate()
    return PopulationFigure.objects.filter(pk__in=counted_figure_ids(as_of, areas=filters.areas))


def _events(filters: Filters):
    return DisplacementEvent.objects.filter(is_archived=False)


def _needs(filters: Filters):
    return PeopleInNeed.objects.filter(
        pk__in=counted_need_ids(PeopleInNeed.objects.filter(is_archived=False))
    )


POPULATION = register(
    Dataset(
        name="population",
        perturbed=False,  # a source's own aggregates: exact
        label=_("Population figures"),
        perm=Perm.POPULATION_VIEW,
        base=_population,
        measures={
            "individuals": Measure(_("Individuals"), lambda: Sum("individuals")),
            "households": Measure(_("Households"), lambda: Sum("households")),
        },
        dimensions={
            "status": Dimension(_("Population status"), "status", dict(PopulationStatus.choices)),
            "source": Dimension(_("Source"), "source", dict(FigureSource.choices)),
        },
        default_measure="individuals",
        date_field="round_date",
        area_field="area",
        organisation_field="organisation",
        filters={"status": "status", "source": "source"},
        dates_in_base=True,
    )
)

DISPLACEMENT_EVENTS = register(
    Dataset(
        name="displacement_events",
        perturbed=False,  # a source's own aggregates: exact
        label=_("Displacement events"),
        perm=Perm.POPULATION_VIEW,
        base=_events,
        measures={
            "events": Measure(_("Events"), lambda: Count("pk")),
            "individuals": Measure(_("Individuals"), lambda: Sum("individuals")),
            "households": Measure(_("Households"), lambda: Sum("households")),
        },
        dimensions={
            "cause": Dimension(_("Cause"), "cause", dict(EventCause.choices)),
            "source": Dimension(_("Source"), "source", dict(FigureSource.choices)),
            "date": Dimension(_("Date"), "date"),
        },
        default_measure="individuals",
        date_field="date",
        area_field="destination_area",
        organisation_field="organisation",
        # "ids" lets a follower (monitoring's alert rules) look at the events it was told about.
        filters={"cause": "cause", "source": "source", "ids": "pk"},
    )
)

PEOPLE_IN_NEED = register(
    Dataset(
        name="people_in_need",
        perturbed=False,  # a source's own aggregates: exact
        label=_("People in need"),
        perm=Perm.POPULATION_VIEW,
        base=_needs,
        measures={"people_in_need": Measure(_("People in need"), lambda: Sum("people_in_need"))},
        dimensions={
            "population_status": Dimension(
                _("Population group"), "population_status", dict(PopulationStatus.choices)
            ),
            "year": Dimension(_("Year"), "year"),
        },
        default_measure="people_in_need",
        area_field="area",
        organisation_field="organisation",
        filters={"year": "year", "population_status": "population_status"},
    )
)
