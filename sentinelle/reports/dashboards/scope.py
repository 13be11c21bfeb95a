"""What a dashboard page is computed for: the filters of the shared form, the audience and the areas.

`DashboardScope.filters_for(dataset)` turns the page's filters into the `core.datasets.Filters` a dataset
understands and names the ones it does not (shown under the figure): every filter applies to every
figure that can take it, and a figure never silently ignores one. The area is never widened: the GBV
floor is applied where the figures are computed (core/datasets.py), which leaves GBV records out below
the protocol's level or refuses a GBV-only figure there; `area_level(gbv=True)` only keeps the breakdown
of a GBV-only figure at the level the protocol allows. A reader's period is whole calendar months
(`for_user`; analysts keep exact dates): the cell key method's known weakness is averaging many
differently filtered answers, so readers may not vary a period by the day.
"""

from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sentinelle.core import datasets
from sentinelle.core.disclosure import Audience, coarsest_area_level, reader_period, threshold_setting
from sentinelle.core.permissions import Perm, has_perm
from sentinelle.geography.models import AdminArea
from sentinelle.geography.selectors import cod_version_default

# The page's own filters (beyond period, area and organisation), by the name each dataset gives them.
EXTRA_FILTERS = {
    "category": {"incidents": "category", "victims": "category"},
    "population_status": {
        "population": "status",
        "people_in_need": "population_status",
        "activities": "population_status",
    },
}
FILTER_LABELS = {
    "period": _("period"),
    "area": _("area"),
    "organisation": _("organisation"),
    "category": _("category"),
    "population_status": _("population status"),
}
# The level a breakdown by area uses under a filter area of each level (none: the regions).
CHILD_LEVEL = {None: 1, 0: 1, 1: 2, 2: 3, 3: 3}


@dataclass
class DashboardScope:
    date_from: date | None = None
    date_to: date | None = None
    area: AdminArea | None = None
    organisation: object = None
    category: str = ""
    population_status: str = ""
    audience: Audience = Audience.PUBLIC
    threshold: int = field(default_factory=threshold_setting)
    _names: dict = field(default_factory=dict)

    @classmethod
    def for_user(cls, user, **values) -> "DashboardScope":
        exact = has_perm(user, Perm.STATS_EXACT)
        if not exact:
            # Readers vary whole calendar months only (core/disclosure.reader_period).
            values["date_from"], values["date_to"] = reader_period(
                values.get("date_from"), values.get("date_to")
            )
        return cls(audience=Audience.ANALYST if exact else Audience.PUBLIC, **values)

    @property
    def is_analyst(self) -> bool:
        return self.audience == Audience.ANALYST

    @property
    def version(self):
        return self.area.version if self.area is not None else cod_version_default()

    @property
    def as_of(self) -> date:
        return self.date_to or timezone.localdate()

    def active_filters(self) -> list[str]:
        values = {
            "period": self.date_from or self.date_to,
            "area": self.area,
            "organisation": self.organisation,
            "category": self.category,
            "population_status": self.population_status,
        }
        return [name for name, value in values.items() if value]

    # --- Areas --------------------------------------------------------------------------------

    def area_level(self, *, gbv: bool = False) -> int:
        """The level figures by area break down to: one below the filter's area; for a figure of GBV
        records only, no finer than the protocol allows (non-analysts)."""
        level = CHILD_LEVEL[self.area.level if self.area is not None else None]
        if gbv and not self.is_analyst:
            level = coarsest_area_level(level, gbv=True)
        return level

    def area_names(self, level: int) -> dict[str, str]:
        """P-code -> French name of the areas of `level` in the filter's version (one query per level)."""
        if level not in self._names:
            version = self.version
            rows = (
                AdminArea.objects.filter(version=version, level=level)
                if version
                else AdminArea.objects.none()
            )
            self._names[level] = dict(rows.values_list("pcode", "name_fr"))
        return self._names[level]

    @property
    def regions(self) -> list[tuple[str, str]]:
        return sorted(self.area_names(1).items(), key=lambda item: item[1])

    # --- Filters for a dataset ------------------------------------------------------------------

    def filters_for(self, name: str, *, fixed: dict | None = None, period: bool = True):
        """(core.datasets.Filters, names of the page filters this dataset cannot take).

        `period=False` is for figures that answer "now" (the open case load): the period is not applied.
        """
        dataset = datasets.get(name)
        skipped = []
        date_from, date_to = self.date_from, self.date_to
        if (date_from or date_to) and (not dataset.date_field or not period):
            skipped.append("period")
            date_from = date_to = None
        area = self.area
        areas = ()
        if area is not None:
            if dataset.area_field:
                areas = (area,)
            else:
                skipped.append("area")
        organisation_ids = ()
        if self.organisation is not None:
            if dataset.organisation_field:
                organisation_ids = (self.organisation.pk,)
            else:
                skipped.append("organisation")
        extra = dict(fixed or {})
        for filter_name, by_dataset in EXTRA_FILTERS.items():
            value = getattr(self, filter_name)
            if not value:
                continue
            if name in by_dataset:
                extra[by_dataset[name]] = value
            else:
                skipped.append(filter_name)
        filters = datasets.Filters(
            date_from=date_from, date_to=date_to, areas=areas, organisation_ids=organisation_ids, extra=extra
        )
        return filters, skipped
