"""The declarations of the datasets (core/datasets.py): what a dataset, its measures, dimensions, filters
and roll-up tables are. Kept apart from the computing so that the roll-up reader (core/dataset_rollups.py)
and the rows' shaping (core/dataset_rows.py) use them without importing the registry."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

# Area dimensions every dataset with an area gets: the record's area rolled up to that level.
AREA_LEVELS = {"admin1": 1, "admin2": 2, "admin3": 3}
AREA_DIMENSION_LABELS = {"admin1": _("Region"), "admin2": _("Cercle"), "admin3": _("Commune")}


@dataclass(frozen=True)
class Dimension:
    label: str
    field: str
    # code -> label, for display; None when the value is its own label (a year, an organisation acronym).
    choices: Mapping | None = None


@dataclass(frozen=True)
class Measure:
    label: str
    # A fresh aggregate expression each call (Count("pk", distinct=True), Sum("count")...).
    expression: Callable


@dataclass(frozen=True)
class Filters:
    """The filters every dataset understands; `extra` holds the dataset's own (code lists)."""

    date_from: date | None = None
    date_to: date | None = None
    # AdminArea instances: rows located in any of their subtrees.
    areas: tuple = ()
    organisation_ids: tuple = ()
    extra: Mapping = field(default_factory=dict)


@dataclass(frozen=True)
class Rollup:
    """A roll-up table that answers some of a dataset's queries (see "Roll-ups" in the module docstring).

    `model` holds one row per month x area x organisation x `gbv` x the dimension columns, with the
    measures summed over the base rows of that cell (`sums`, named for the model's fields) and, for a
    perturbed dataset, `key_sum` (the cell's record keys summed modulo KEY_RANGE). `source(ids)` gives the
    base rows of the records with these ids (None: every record), with the dataset's counting rules;
    `columns` says what each group column holds (an expression or an ORM path over those rows).
    `keyed_by` names the records the ids are of ("incident"): the services that write them keep every
    roll-up keyed by them current (core/rollups.py).

    Reading: `dimensions` and `filters` map the dataset's names to the model's columns (ORM paths, so
    "organisation__acronym" works), `measures` maps the dataset's measures to summed columns. `multi` are
    the columns where one record falls in several rows (an incident's categories, a violation's victim
    cells): the roll-up then serves only the queries that group by each of them or filter on one value,
    so that no record is counted twice. `nulls` are the values stored where the base row has none (NULL
    would defeat ON CONFLICT), read back as None. `records` is the summed column that counts the base rows
    of a cell: a group exists when it is above 0 (a cell whose records left stays at 0). The tables are
    written by core/rollups.py."""

    model: type
    keyed_by: str
    source: Callable
    columns: Mapping[str, object]
    sums: Mapping[str, object]
    measures: Mapping[str, str]
    records: str
    dimensions: Mapping[str, str] = field(default_factory=dict)
    filters: Mapping[str, str] = field(default_factory=dict)
    month: str | None = "month"
    area: str | None = "area"
    organisation: str | None = "organisation"
    gbv: str | None = None
    key_sum: str | None = None
    multi: frozenset = frozenset()
    nulls: Mapping[str, object] = field(default_factory=dict)
    # How `manage.py rollups_rebuild` recomputes the table, when not from `source` (core/rollups.rebuild).
    rebuild: Callable | None = None

    @property
    def size(self) -> int:
        """How fine the table is (its group columns): the smallest covering roll-up is read."""
        return len(self.columns)


@dataclass(frozen=True)
class Dataset:
    name: str
    label: str
    # The permission that lets a user read this dataset's aggregates (checked by the caller).
    perm: str
    # Base rows, with the domain's counting rules applied; receives the filters for datasets that
    # answer "as of" a date (the latest population round) rather than over a period.
    base: Callable[[Filters], QuerySet]
    measures: dict[str, Measure]
    dimensions: dict[str, Dimension]
    default_measure: str
    date_field: str | None = None
    # The timestamp `date_field` is the local date of (a TruncDate annotation): periods filter it by range.
    moment_field: str | None = None
    area_field: str | None = None
    organisation_field: str | None = None
    # Filter name -> ORM path; a list value filters with __in, a scalar with equality.
    filters: dict[str, str] = field(default_factory=dict)
    # True when `base` applies the dates itself (snapshot datasets).
    dates_in_base: bool = False
    # True when no record is dated after the day it is written (the services refuse a date in the future,
    # or the date is the moment of writing): a period ending today or later then reads as open-ended, so
    # whole months of the roll-ups answer "the year to date" without reading this month's records.
    dated_up_to_today: bool = False
    # GBV records (see the module docstring): every record, or the rows `gbv_q` selects; `gbv_codes` maps a
    # filter to the codes that select GBV records only (a filter holding nothing else selects only GBV).
    gbv: bool = False
    gbv_q: Q | None = None
    gbv_codes: Mapping[str, frozenset] = field(default_factory=dict)
    # Disclosure control (core/disclosure.py), declared by every dataset: True when its figures are counts
    # of records that carry a record key (the cell key method applies), False for figures that are
    # already aggregates published by their sources (shown exactly). None (undeclared) fails a test.
    perturbed: bool | None = None
    # Roll-up tables that answer the queries they cover (smallest first), else `base` is queried.
    rollups: tuple[Rollup, ...] = ()

    @property
    def scope(self) -> str:
        """The domain app whose records this dataset counts: the app that declared its base rows."""
        parts = getattr(self.base, "__module__", "").split(".")
        return parts[1] if len(parts) > 2 and parts[0] == "sentinelle" else "*"

    def all_dimensions(self) -> dict[str, Dimension]:
        dims = dict(self.dimensions)
        if self.area_field:
            for name, label in AREA_DIMENSION_LABELS.items():
                dims[name] = Dimension(label, self.area_field)
        return dims


class DatasetError(ValueError):
    """A request for an unknown dataset, measure, dimension or filter (the message is for the user)."""


class GBVFloorError(DatasetError):
    """A query that would count only GBV records below the level the sharing protocol allows."""


# What the GBV floor does to a query (gbv_floor).
FLOOR_NONE = ""
FLOOR_WITHHELD = "withheld"
