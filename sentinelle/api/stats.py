"""The statistics API over the declared datasets (core/datasets.py), with disclosure control.

GET /api/v1/stats/<dataset>/?group_by=a,b&measure=m1,m2&date_from=&date_to=&area=<P-code>
&organisation=<acronym>&<dataset filter>=<code[,code]>
answers rows {dimension: code, dimension_label: label, measure: value}.

Who gets what (design §6, core/disclosure.py):
  - analysts (Perm.STATS_EXACT: the IMO, administrators) get exact values, each row flagged `suppressed`
    when a reader reads "<5" in one of its cells and `perturbed` when a reader gets another number;
  - everyone else (Perm.STATS_VIEW) gets the cell key method: a count from 1 to 4 reads "<5", the others
    are perturbed by up to 2 from their cell keys, the total is a cell of its own (always shown); periods
    are calendar months, quarters or years (the dates asked are widened: `filters` echoes the period
    answered and `notes` says so); one area, organisation and code per filter; at most two dimensions;
    a daily throttle per user (SENTINELLE["THROTTLES"]["stats.user"], views/stats.py); and
    the GBV floor of core/datasets.py: below the admin level of the sharing protocol (an area filter or
    an area breakdown finer than it), GBV records are left out of every figure of the answer, totals
    included (`gbv_withheld` and `notes` say so), and a question about GBV records only (a GBV dataset,
    category=gbv, case_type=gbv...) is refused (400, not rolled up, so that nobody mistakes a region
    total for a cercle's). Every answer says what its figures are in `disclosure` (JSON) and the
    X-Sentinelle-Disclosure header (CSV, HXL). Cell keys never leave: rows are built field by field.
Nothing here knows a dataset by name, except the HXL tags.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import io
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from sentinelle.core import datasets
from sentinelle.core.datasets import AREA_LEVELS, DatasetError, Filters
from sentinelle.core.disclosure import (
    CELL_KEY,
    NOISE_BOUND,
    Audience,
    Cell,
    Status,
    add_keys,
    audience_note,
    reader_period,
    reader_value,
    threshold_setting,
)
from sentinelle.core.spreadsheets import safe_cell

# Query parameters every dataset understands; any other one names a dataset filter.
RESERVED = {"group_by", "measure", "date_from", "date_to", "area", "organisation", "format"}
MAX_PUBLIC_DIMENSIONS = 2

# HXL hashtags (https://hxlstandard.org) of known dimension and measure names; anything else gets the
# generic #indicator+<name>. Label columns take the dimension's tag with +name.
HXL_DIMENSIONS = {
    "admin1": "#adm1+code",
    "admin2": "#adm2+code",
    "admin3": "#adm3+code",
    "organisation": "#org+acronym",
    "sex": "#sex",
    "age_group": "#age+group",
    "age_band": "#age+band",
    "month": "#date+month",
    "date": "#date",
    "year": "#date+year",
    "status": "#status",
    "population_status": "#population+status",
    "displacement_status": "#population+status",
    "category": "#indicator+category",
    "activity_type": "#activity+type",
    "project": "#activity+project",
    "programme": "#activity+programme",
    "service_type": "#service+type",
    "case_type": "#indicator+case_type",
    "gbv_type": "#indicator+gbv_type",
    "violation_type": "#indicator+violation_type",
    "cause": "#cause",
    "source": "#meta+source",
    "source_mechanism": "#meta+source",
}
HXL_MEASURES = {
    ("incidents", "count"): "#event+num",
    ("gbv_incidents", "count"): "#event+num+gbv",
    ("grave_violations", "count"): "#affected+num+children",
    ("grave_violations", "violations"): "#event+num+violations",
    ("victims", "count"): "#affected+num",
    ("eo_casualties", "count"): "#affected+num+casualties",
    ("cases", "count"): "#indicator+num+cases",
    ("referrals", "count"): "#indicator+num+referrals",
    ("population", "individuals"): "#affected+ind",
    ("population", "households"): "#affected+hh",
    ("displacement_events", "individuals"): "#affected+ind+displaced",
    ("displacement_events", "households"): "#affected+hh+displaced",
    ("displacement_events", "events"): "#event+num+displacement",
    ("people_in_need", "people_in_need"): "#inneed+ind",
    ("activities", "people_reached"): "#reached+ind",
    ("activities", "count"): "#activity+num",
    ("trainings", "participants"): "#reached+ind+trained",
    ("trainings", "count"): "#activity+num+trainings",
}
HXL_SUPPRESSED = "#meta+suppressed"
HXL_PERTURBED = "#meta+perturbed"


def hxl_dimension(name: str) -> str:
    return HXL_DIMENSIONS.get(name, f"#indicator+{name}")


def hxl_label(name: str) -> str:
    return hxl_dimension(name).split("+", 1)[0] + "+name"


def hxl_measure(dataset: str, name: str) -> str:
    return HXL_MEASURES.get((dataset, name), f"#indicator+num+{name}")


@dataclass
class StatsQuery:
    dataset: datasets.Dataset
    measures: list[str]
    group_by: list[str]
    filters: Filters
    exact: bool
    echo: dict = field(default_factory=dict)
    # The GBV floor (core/datasets.gbv_floor): GBV records left out of this answer.
    gbv_withheld: bool = False
    # Set when a reader's dates were widened to a calendar month, quarter or year.
    period_note: str = ""


@dataclass
class StatsAnswer:
    query: StatsQuery
    rows: list[dict]
    total: dict
    threshold: int
    notes: list[str] = field(default_factory=list)

    @property
    def dimension_columns(self) -> list[str]:
        columns = []
        for dim in self.query.group_by:
            columns += [dim, f"{dim}_label"]
        return columns

    @property
    def flagged(self) -> bool:
        """Analysts' rows say where a reader sees something else (never, for a source's aggregates)."""
        return self.query.exact

    @property
    def columns(self) -> list[str]:
        extra = ["suppressed", "perturbed"] if self.flagged else []
        return self.dimension_columns + self.query.measures + extra

    def hxl_tags(self) -> list[str]:
        tags = []
        for dim in self.query.group_by:
            tags += [hxl_dimension(dim), hxl_label(dim)]
        tags += [hxl_measure(self.query.dataset.name, measure) for measure in self.query.measures]
        if self.flagged:
            tags += [HXL_SUPPRESSED, HXL_PERTURBED]
        return tags

    @property
    def disclosure(self) -> dict:
        """What the figures are: exact for analysts, protected for readers (the cell key method)."""
        dataset = self.query.dataset
        if not dataset.perturbed:
            return {"method": "none", "exact": True, "note": ""}
        if self.query.exact:
            return {"method": "none", "exact": True, "note": audience_note(Audience.ANALYST, self.threshold)}
        return {
            "method": "cell_key",
            "exact": False,
            "threshold": self.threshold,
            "max_perturbation": NOISE_BOUND,
            "note": audience_note(Audience.PUBLIC, self.threshold),
        }

    def as_json(self) -> dict:
        query = self.query
        return {
            "dataset": query.dataset.name,
            "label": str(query.dataset.label),
            "group_by": query.group_by,
            "measures": query.measures,
            "filters": query.echo,
            "exact": query.exact,
            "threshold": self.threshold,
            "disclosure": self.disclosure,
            "gbv_withheld": query.gbv_withheld,
            "notes": self.notes,
            "count": len(self.rows),
            "rows": self.rows,
            "total": self.total,
        }

    def as_csv(self, *, hxl: bool = False) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        columns = self.columns
        writer.writerow(columns)
        if hxl:
            writer.writerow(self.hxl_tags())
        for row in self.rows:
            writer.writerow(["" if row.get(c) is None else _csv_value(row.get(c)) for c in columns])
        return out.getvalue()


def _csv_value(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    # Labels come from data (place and organisation names): quoted when a spreadsheet would run them.
    return safe_cell(value)


# --- Parsing ---------------------------------------------------------------------------------------


def _values(params, name: str) -> list[str]:
    """A parameter's values, repeated (?a=1&a=2) or comma-separated (?a=1,2), blanks dropped, in order."""
    found = []
    for raw in params.getlist(name):
        for part in str(raw).split(","):
            part = part.strip()
            if part and part not in found:
                found.append(part)
    return found


def _date(params, name: str) -> datetime.date | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise DatasetError(
            _("Invalid date for %(name)s: %(value)s (expected YYYY-MM-DD).") % {"name": name, "value": value}
        ) from None


def _areas(codes: list[str]) -> tuple:
    from sentinelle.geography.selectors import AreaLookupError, area_resolve

    areas = []
    for code in codes:
        try:
            areas.append(area_resolve(code))
        except AreaLookupError:
            raise DatasetError(_("Unknown area: %(code)s.") % {"code": code}) from None
    return tuple(areas)


def _organisations(acronyms: list[str]) -> tuple:
    from sentinelle.accounts.models import Organisation

    ids = []
    for acronym in acronyms:
        pk = Organisation.objects.filter(acronym__iexact=acronym).values_list("pk", flat=True).first()
        if pk is None:
            raise DatasetError(_("Unknown organisation: %(acronym)s.") % {"acronym": acronym})
        ids.append(pk)
    return tuple(ids)


def parse_query(name: str, params, *, exact: bool) -> StatsQuery:
    """Validate the request against the dataset and the user's audience; DatasetError says what is wrong."""
    dataset = datasets.get(name)
    for key in params:
        # A NUL byte never belongs in a code or a date; PostgreSQL would refuse the query (a 500).
        if "\x00" in key or any("\x00" in str(value) for value in params.getlist(key)):
            raise DatasetError(
                _("The parameter %(name)s holds a character that is not allowed.")
                % {"name": key.replace("\x00", "")}
            )
    dims = dataset.all_dimensions()
    group_by = _values(params, "group_by")
    measures = _values(params, "measure") or [dataset.default_measure]
    for measure in measures:
        if measure not in dataset.measures:
            raise DatasetError(
                _("Unknown measure for %(dataset)s: %(name)s.") % {"dataset": dataset.name, "name": measure}
            )
    for dim in group_by:
        if dim not in dims:
            raise DatasetError(
                _("Unknown dimension for %(dataset)s: %(name)s.") % {"dataset": dataset.name, "name": dim}
            )
    extra = {}
    for key in params:
        if key in RESERVED:
            continue
        if key not in dataset.filters:
            raise DatasetError(
                _("Unknown filter for %(dataset)s: %(name)s.") % {"dataset": dataset.name, "name": key}
            )
        values = _values(params, key)
        if values:
            extra[key] = values
    areas = _areas(_values(params, "area"))
    if areas and not dataset.area_field:
        raise DatasetError(_("This dataset has no area."))
    organisation_codes = _values(params, "organisation")
    if organisation_codes and not dataset.organisation_field:
        raise DatasetError(_("This dataset has no organisation."))
    date_from, date_to = _date(params, "date_from"), _date(params, "date_to")
    period_note = ""
    if not exact:
        # Readers' periods are calendar months, quarters or years (the echo gives the period answered).
        asked = (date_from, date_to)
        date_from, date_to = reader_period(date_from, date_to)
        if (date_from, date_to) != asked:
            period_note = _(
                "Period widened to %(start)s – %(end)s: readers' figures cover calendar months, quarters "
                "or years."
            ) % {"start": _iso(date_from), "end": _iso(date_to)}
        _one_value_each(areas, organisation_codes, extra)
    filters = Filters(
        date_from=date_from,
        date_to=date_to,
        areas=areas,
        organisation_ids=_organisations(organisation_codes),
        extra=extra,
    )
    if not exact and len(group_by) > MAX_PUBLIC_DIMENSIONS:
        raise DatasetError(
            _("Group by at most %(count)d dimensions (exact figures are for analysts only).")
            % {"count": MAX_PUBLIC_DIMENSIONS}
        )
    # Refused here (400) when the question is about GBV records only below the protocol's level.
    floor = datasets.gbv_floor(dataset, group_by=group_by, filters=filters, exact=exact)
    echo = dict(extra)
    if filters.date_from:
        echo["date_from"] = filters.date_from.isoformat()
    if filters.date_to:
        echo["date_to"] = filters.date_to.isoformat()
    if areas:
        echo["area"] = [area.pcode for area in areas]
    if organisation_codes:
        echo["organisation"] = organisation_codes
    return StatsQuery(
        dataset,
        measures,
        group_by,
        filters,
        exact,
        echo,
        gbv_withheld=floor == datasets.FLOOR_WITHHELD,
        period_note=period_note,
    )


def _iso(day) -> str:
    return day.isoformat() if day else "…"


def _one_value_each(areas, organisations, extra) -> None:
    """Readers ask about one area, one organisation and one code of each filter at a time: unions would
    give the same records under ever new keys (core/disclosure.py), which averaging exploits."""
    if len(areas) > 1:
        raise DatasetError(_("Filter on one area at a time (several areas are for analysts only)."))
    if len(organisations) > 1:
        raise DatasetError(_("Filter on one organisation at a time (several are for analysts only)."))
    for name, values in extra.items():
        if len(values) > 1:
            raise DatasetError(
                _("Filter %(name)s on one code at a time (several codes are for analysts only).")
                % {"name": name}
            )


def is_gbv(dataset: datasets.Dataset) -> bool:
    """A dataset whose every record is GBV (declared by the dataset)."""
    return dataset.gbv


# --- Answering -------------------------------------------------------------------------------------


def _plain(value):
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _area_labels(rows: list[dict], group_by: list[str]) -> dict[str, str]:
    from sentinelle.geography.models import AdminArea

    codes = {row[dim] for row in rows for dim in group_by if dim in AREA_LEVELS and row[dim]}
    if not codes:
        return {}
    labels = {}
    # The default version's names win over older versions' for the same P-code.
    for pcode, name in (
        AdminArea.objects.filter(pcode__in=codes)
        .order_by("version__is_default", "version_id")
        .values_list("pcode", "name_fr")
    ):
        labels[pcode] = name
    return labels


def answer(query: StatsQuery) -> StatsAnswer:
    dataset = query.dataset
    raw = datasets.aggregate(
        dataset.name,
        measures=query.measures,
        group_by=query.group_by,
        filters=query.filters,
        exact=query.exact,
    )
    threshold = threshold_setting()
    perturbed = bool(dataset.perturbed)
    area_labels = _area_labels(raw, query.group_by)
    dims = dataset.all_dimensions()
    rows = []
    for row in raw:
        out = {}
        for dim in query.group_by:
            code = _plain(row[dim])
            out[dim] = code
            if dim in AREA_LEVELS:
                out[f"{dim}_label"] = area_labels.get(code, "") if code else ""
            else:
                out[f"{dim}_label"] = datasets.label_of(dataset, dim, row[dim]) if dim in dims else ""
        key = row.get(CELL_KEY) if perturbed else None
        statuses = set()
        for measure in query.measures:
            out[measure], status = _figure(row[measure], key, query, threshold)
            statuses.add(status)
        if query.exact:
            out["suppressed"] = Status.SMALL in statuses
            out["perturbed"] = Status.PERTURBED in statuses
        rows.append(out)
    rows.sort(key=lambda r: tuple((r[d] is None, str(r[d])) for d in query.group_by))
    # The total is a cell of its own: the sum of the rows' exact values, with the sum of their keys.
    key = add_keys(0, *(row.get(CELL_KEY, 0) for row in raw)) if perturbed else None
    total = {
        measure: _figure(sum(_plain(row[measure] or 0) for row in raw), key, query, threshold)[0]
        for measure in query.measures
    }
    notes = [datasets.gbv_withheld_note()] if query.gbv_withheld else []
    if query.period_note:
        notes.append(query.period_note)
    return StatsAnswer(query=query, rows=rows, total=total, threshold=threshold, notes=notes)


def _figure(value, key: int | None, query: StatsQuery, threshold: int):
    """(what the asker gets, how a reader's figure relates to the exact one) for one measure of a cell.
    Non-integer sums (a decimal measure) are published as computed."""
    value = _plain(value or 0)
    if not isinstance(value, int) or key is None:
        return value, Status.EXACT
    cell = Cell(value, key)
    if query.exact:
        return value, cell.status(threshold)
    return reader_value(cell, threshold=threshold), Status.EXACT


def catalogue() -> list[dict]:
    """Every dataset with its measures, dimensions (and their codes) and filters."""
    entries = []
    for dataset in datasets.all_datasets():
        dims = dataset.all_dimensions()
        entries.append(
            {
                "name": dataset.name,
                "label": str(dataset.label),
                "default_measure": dataset.default_measure,
                "measures": [{"name": n, "label": str(m.label)} for n, m in dataset.measures.items()],
                "dimensions": [
                    {
                        "name": n,
                        "label": str(d.label),
                        "hxl": hxl_dimension(n),
                        "codes": {str(k): str(v) for k, v in d.choices.items()} if d.choices else None,
                    }
                    for n, d in dims.items()
                ],
                "filters": sorted(dataset.filters),
                "date_filter": bool(dataset.date_field),
                "area_filter": bool(dataset.area_field),
                "organisation_filter": bool(dataset.organisation_field),
                "gbv": is_gbv(dataset),
                # GBV records among others: left out below the protocol's level (see gbv_floor).
                "gbv_records": datasets.has_gbv(dataset),
            }
        )
    return entries
