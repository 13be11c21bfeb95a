"""The monthly protection analysis: its figures, organised by the Protection Analysis Framework.

Sections (standards §3, GPC PAF): context (displacement), threats (incidents by category and area and
their trend against the previous month, grave violations, explosive ordnance), effects on the population
(victims by sex and age, GBV with consent to report only and never below the protocol's admin level,
population by status) and capacities and response (referrals made and completed, 4W activities and their
coverage). Every figure comes from `core.datasets.aggregate` (the domains' counting rules apply: linked
duplicates count once, GBV only with consent, MRM rules) and is frozen as a disclosure-controlled table
(report_tables.py): each cell keeps its exact value and the reader's figure that core.disclosure gives it
from its cell key (never the key). The narrative of each section is prefilled with a factual sentence in
French built from the readers' (protected) figures, never from exact counts.

The analysis is published: every figure is computed for the public audience, with whole months only,
under the GBV floor of core/datasets.py (GBV records left out of a figure finer than the protocol's level,
with a note under its table; a GBV-only figure there refused, shown "—" with the reason).
"""

import datetime
from calendar import monthrange

from django.conf import settings
from django.utils import dateformat, translation
from django.utils.translation import gettext as _

from sentinelle.core import datasets
from sentinelle.core.codes import AgeGroup, Sex
from sentinelle.core.datasets import Filters
from sentinelle.core.disclosure import (
    CELL_KEY,
    Audience,
    Cell,
    add_keys,
    coarsest_area_level,
    threshold_setting,
)
from sentinelle.geography.models import AdminArea
from sentinelle.reports.report_tables import (
    KeyedCounts,
    figure_text,
    frozen_table,
    ordered_by_total,
    present,
    single_figure,
)

SECTIONS = ("context", "threats", "effects", "capacities")
AREA_DIMENSION = {1: "admin1", 2: "admin2", 3: "admin3"}


def month_bounds(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    return day.replace(day=1), day.replace(day=monthrange(day.year, day.month)[1])


def previous_month(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    return month_bounds(today.replace(day=1) - datetime.timedelta(days=1))


def month_label(start: datetime.date) -> str:
    return dateformat.format(start, "F Y")


def section_titles() -> dict[str, str]:
    return {
        "context": _("Context"),
        "threats": _("Threats to the population"),
        "effects": _("Effects on the population"),
        "capacities": _("Capacities and response"),
    }


def monthly_title(start: datetime.date, area: AdminArea | None) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Monthly protection analysis — %(month)s") % {"month": month_label(start)}
        return f"{title} — {area.name_fr}" if area is not None else title


class _Builder:
    def __init__(self, start, end, area):
        self.start, self.end, self.area = start, end, area
        self.threshold = threshold_setting()
        self.level = (area.level + 1) if area is not None else 1
        self.level = min(self.level, 3)
        self._names: dict[str, str] = {}
        self.user = None

    def filters(self, *, start=None, end=None, **extra) -> Filters:
        return Filters(
            date_from=start or self.start,
            date_to=end or self.end,
            areas=(self.area,) if self.area is not None else (),
            extra=extra,
        )

    def rows(self, name, *, group_by, measure=None, **kwargs):
        dataset = datasets.get(name)
        measure = measure or dataset.default_measure
        try:
            return datasets.aggregate(
                name, measures=[measure], group_by=group_by, filters=self.filters(**kwargs)
            )
        except datasets.GBVFloorError:
            return None

    def note(self, name, *group_by, **kwargs) -> str:
        """What the GBV floor does to this figure, in words ("" when nothing)."""
        dataset = datasets.get(name)
        try:
            floor = datasets.gbv_floor(dataset, group_by=group_by, filters=self.filters(**kwargs))
        except datasets.GBVFloorError as error:
            return str(error)
        return datasets.gbv_withheld_note() if floor else ""

    def counts(self, name, *, row, column=None, measure=None, column_value=None, **kwargs) -> KeyedCounts:
        """{(row, column): count} with the cells' keys (core.disclosure's cell key method)."""
        dataset = datasets.get(name)
        measure = measure or dataset.default_measure
        group_by = [row] + ([column] if column else [])
        out: dict[tuple, int] = {}
        keys: dict[tuple, int] = {}
        for item in self.rows(name, group_by=group_by, measure=measure, **kwargs) or []:
            key = (item[row], item[column] if column else (column_value or "value"))
            out[key] = out.get(key, 0) + int(item[measure] or 0)
            keys[key] = add_keys(keys.get(key, 0), item.get(CELL_KEY, 0))
        return KeyedCounts(out, keys if dataset.perturbed else None)

    def total(self, name, *, measure=None, **kwargs) -> Cell | None:
        """The total with its key, or None when the GBV floor refuses it (never a silent 0)."""
        dataset = datasets.get(name)
        measure = measure or dataset.default_measure
        rows = self.rows(name, group_by=[], measure=measure, **kwargs)
        if rows is None:
            return None
        return Cell(int(rows[0][measure] or 0), rows[0].get(CELL_KEY) if dataset.perturbed else None)

    def labeller(self, name, dimension):
        dataset = datasets.get(name)

        def label(code):
            if code is None:
                return _("Not specified")
            return datasets.label_of(dataset, dimension, code)

        return label

    def area_label(self, code) -> str:
        if code is None:
            return _("Not located at this level")
        if not self._names:
            areas = AdminArea.objects.filter(version__is_default=True, level__gte=1, level__lte=self.level)
            if self.area is not None:
                areas = areas.filter(version_id=self.area.version_id, path__startswith=self.area.path)
            self._names = dict(areas.values_list("pcode", "name_fr")) or {"": ""}
        return self._names.get(code, code)

    def table(
        self, counts, *, key, title, row_label, rows=None, columns=None, row_labels, column_labels, **kwargs
    ):
        # kwargs may hold `note` (what the GBV floor did): shown under the table.
        rows = rows if rows is not None else ordered_by_total(counts)
        columns = columns if columns is not None else present([], counts, axis=1)
        return frozen_table(
            counts,
            key=key,
            title=title,
            row_label=row_label,
            rows=rows,
            columns=columns,
            row_labels=row_labels,
            column_labels=column_labels,
            threshold=self.threshold,
            **kwargs,
        )

    def figure(self, cell: Cell | None, label):
        if cell is None:  # refused by the GBV floor: "—", never a 0
            return {"label": label, "cell": None}
        return single_figure(cell, label=label, threshold=self.threshold)

    def text(self, figure) -> str:
        return figure_text(figure, audience=Audience.PUBLIC, threshold=self.threshold)


def _one_column(label):
    return lambda _code: label


def monthly_figures(
    *, start: datetime.date, end: datetime.date, area: AdminArea | None = None, user=None
) -> dict:
    """The frozen figures of the analysis (French labels), with the prefilled narrative; `user` (the
    author) reads the service directory for the services available (omitted without a user)."""
    with translation.override(settings.LANGUAGE_CODE):
        builder = _Builder(start, end, area)
        builder.user = user
        return _monthly_figures(builder)


def _services_table(b) -> dict | None:
    """Active services serving the area, by type: facilities, not people, so no cell is small enough to
    reveal anyone (threshold 1: the table still goes through disclosure control)."""
    if b.user is None:
        return None
    from sentinelle.directory.models import ServiceType
    from sentinelle.directory.selectors import service_list

    counts: dict[tuple, int] = {}
    for service_type in service_list(user=b.user, area=b.area).values_list("service_type", flat=True):
        counts[(service_type, "services")] = counts.get((service_type, "services"), 0) + 1
    counts = KeyedCounts(counts, None)  # facilities, not people: exact
    labels = dict(ServiceType.choices)
    return frozen_table(
        counts,
        key="services_by_type",
        title=_("Services available (directory), by type"),
        row_label=_("Type of service"),
        rows=ordered_by_total(counts),
        columns=["services"],
        row_labels=lambda code: str(labels.get(code, code)),
        column_labels=_one_column(_("Services")),
        threshold=1,
    )


def _monthly_figures(b: _Builder) -> dict:
    titles = section_titles()
    area_dim = AREA_DIMENSION[b.level]
    area_title = str(datasets.AREA_DIMENSION_LABELS[area_dim])
    sex_codes = [Sex.FEMALE, Sex.MALE, Sex.UNKNOWN]
    sex_label = b.labeller("victims", "sex")
    month = month_label(b.start)

    # --- Context: displacement ---------------------------------------------------------------------
    events = b.total("displacement_events", measure="events")
    moved = b.total("displacement_events", measure="individuals")
    displacement = b.counts("displacement_events", row=area_dim, column="cause", measure="individuals")
    context = {
        "figures": [
            b.figure(events, _("Displacement events")),
            b.figure(moved, _("People displaced (events)")),
        ],
        "tables": [
            b.table(
                displacement,
                key="displacement_by_area",
                title=_("People displaced by area and cause"),
                row_label=area_title,
                row_labels=b.area_label,
                column_labels=b.labeller("displacement_events", "cause"),
            )
        ],
        "charts": ["displacement_by_area"],
        "maps": [{"table": "displacement_by_area", "level": b.level}],
    }
    context["narrative"] = _(
        "In %(month)s, %(events)s displacement events were recorded, involving %(people)s people."
    ) % {"month": month, "events": b.text(context["figures"][0]), "people": b.text(context["figures"][1])}

    # --- Threats ----------------------------------------------------------------------------------
    prev_start, prev_end = previous_month(b.start)
    current = b.counts("incidents", row="category", column_value="current")
    previous = b.counts("incidents", row="category", column_value="previous", start=prev_start, end=prev_end)
    incidents_now = b.total("incidents")
    incidents_before = b.total("incidents", start=prev_start, end=prev_end)
    by_category = current.merged(previous)
    category_rows = list(dict.fromkeys(ordered_by_total(current) + ordered_by_total(previous)))
    trend_labels = {"previous": _("Previous month"), "current": month}
    violations = b.counts("grave_violations", row="violation_type", column="sex")
    casualties = b.counts("eo_casualties", row="outcome", column="sex")
    by_area = b.counts("incidents", row=area_dim)
    threats = {
        "figures": [
            b.figure(incidents_now, _("Incidents this month")),
            b.figure(incidents_before, _("Incidents the previous month")),
            b.figure(b.total("grave_violations"), _("Grave violations against children")),
            b.figure(b.total("eo_casualties"), _("Explosive ordnance casualties")),
        ],
        "tables": [
            b.table(
                by_category,
                key="incidents_by_category",
                note=b.note("incidents", "category"),
                title=_("Incidents by category, against the previous month"),
                row_label=_("Category"),
                rows=category_rows,
                columns=["previous", "current"],
                row_labels=b.labeller("incidents", "category"),
                column_labels=lambda code: trend_labels[code],
                row_totals=False,
                column_totals=False,
            ),
            b.table(
                by_area,
                key="incidents_by_area",
                note=b.note("incidents", area_dim),
                title=_("Incidents by area"),
                row_label=area_title,
                row_labels=b.area_label,
                column_labels=_one_column(_("Incidents")),
            ),
            b.table(
                violations,
                key="grave_violations",
                note=b.note("grave_violations", "violation_type", "sex"),
                title=_("Grave violations against children (MRM counting rules)"),
                row_label=_("Violation"),
                columns=present(sex_codes, violations, axis=1),
                row_labels=b.labeller("grave_violations", "violation_type"),
                column_labels=lambda code: sex_label(code) if code else _("Not applicable"),
            ),
            b.table(
                casualties,
                key="eo_casualties",
                note=b.note("eo_casualties", "outcome", "sex"),
                title=_("Explosive ordnance casualties"),
                row_label=_("Outcome"),
                columns=present(sex_codes, casualties, axis=1),
                row_labels=b.labeller("eo_casualties", "outcome"),
                column_labels=sex_label,
            ),
        ],
        "charts": ["incidents_by_category"],
        "chart_columns": {"incidents_by_category": 1},
        "maps": [{"table": "incidents_by_area", "level": b.level}],
    }
    top = threats["tables"][0]["rows"][0]["label"] if current else ""
    threats["narrative"] = _(
        "In %(month)s, %(count)s protection incidents were recorded, against %(previous)s the previous month."
    ) % {
        "month": month,
        "count": b.text(threats["figures"][0]),
        "previous": b.text(threats["figures"][1]),
    }
    if top:
        threats["narrative"] += " " + _("The most reported category is: %(category)s.") % {"category": top}

    # --- Effects on the population -----------------------------------------------------------------
    victims = b.counts("victims", row="age_group", column="sex")
    outcomes = b.counts("victims", row="outcome")
    gbv_types = b.counts("gbv_incidents", row="gbv_type")
    gbv_level = coarsest_area_level(b.level, gbv=True)
    gbv_area_dim = AREA_DIMENSION[gbv_level]
    gbv_areas = b.counts("gbv_incidents", row=gbv_area_dim)
    population = b.counts("population", row="status", measure="individuals")
    effects = {
        "figures": [
            b.figure(b.total("victims"), _("Victims")),
            b.figure(b.total("gbv_incidents"), _("GBV incidents (with the survivor's consent to report)")),
        ],
        "tables": [
            b.table(
                victims,
                key="victims_by_age_sex",
                note=b.note("victims", "age_group", "sex"),
                title=_("Victims by age group and sex"),
                row_label=_("Age group"),
                rows=present(AgeGroup.values, victims, axis=0),
                columns=present(sex_codes, victims, axis=1),
                row_labels=b.labeller("victims", "age_group"),
                column_labels=sex_label,
            ),
            b.table(
                outcomes,
                key="victims_by_outcome",
                note=b.note("victims", "outcome"),
                title=_("Victims by outcome"),
                row_label=_("Outcome"),
                row_labels=b.labeller("victims", "outcome"),
                column_labels=_one_column(_("Victims")),
            ),
            b.table(
                gbv_types,
                key="gbv_by_type",
                note=b.note("gbv_incidents", "gbv_type"),
                title=_("GBV incidents by type (consent to report only)"),
                row_label=_("GBV type"),
                row_labels=b.labeller("gbv_incidents", "gbv_type"),
                column_labels=_one_column(_("GBV incidents")),
            ),
            b.table(
                gbv_areas,
                key="gbv_by_area",
                note=b.note("gbv_incidents", gbv_area_dim),
                title=_("GBV incidents by area (no finer than the sharing protocol allows)"),
                row_label=str(datasets.AREA_DIMENSION_LABELS[gbv_area_dim]),
                row_labels=b.area_label,
                column_labels=_one_column(_("GBV incidents")),
            ),
            b.table(
                population,
                key="population_by_status",
                title=_("Population by status (latest figures at the end of the month)"),
                row_label=_("Population status"),
                row_labels=b.labeller("population", "status"),
                column_labels=_one_column(_("Individuals")),
            ),
        ],
        "charts": ["victims_by_age_sex", "gbv_by_type"],
        "maps": [{"table": "gbv_by_area", "level": gbv_level}],
        "gbv_level": gbv_level,
    }
    effects["narrative"] = _(
        "%(victims)s victims were counted in %(month)s; %(gbv)s GBV incidents were reported with the "
        "survivor's consent."
    ) % {"victims": b.text(effects["figures"][0]), "month": month, "gbv": b.text(effects["figures"][1])}
    if gbv_refused := b.note("gbv_incidents"):
        effects["narrative"] += " " + gbv_refused

    # --- Capacities and response ------------------------------------------------------------------
    referrals = b.counts("referrals", row="service_type", column_value="sent")
    completed = b.counts("referrals", row="service_type", column_value="completed", status="completed")
    reached = b.counts("activities", row="activity_type", column="sex", measure="people_reached")
    coverage = b.counts("activities", row=area_dim, measure="people_reached")
    capacities = {
        "figures": [
            b.figure(referrals.total(), _("Referrals made")),
            b.figure(completed.total(), _("Referrals completed")),
            b.figure(b.total("activities", measure="count"), _("Activities (validated 4W)")),
            b.figure(b.total("activities", measure="people_reached"), _("People reached")),
        ],
        "tables": [
            b.table(
                referrals.merged(completed),
                key="referrals_by_service",
                note=b.note("referrals", "service_type"),
                title=_("Referrals made and completed, by type of service"),
                row_label=_("Type of service"),
                rows=ordered_by_total(referrals),
                columns=["sent", "completed"],
                row_labels=b.labeller("referrals", "service_type"),
                column_labels=lambda code: _("Made") if code == "sent" else _("Completed"),
                row_totals=False,
            ),
            b.table(
                reached,
                key="activities_by_type",
                title=_("People reached by type of activity and sex"),
                row_label=_("Type of activity"),
                columns=present(sex_codes, reached, axis=1),
                row_labels=b.labeller("activities", "activity_type"),
                column_labels=lambda code: sex_label(code) if code else _("Not specified"),
            ),
            b.table(
                coverage,
                key="coverage_by_area",
                title=_("People reached by area (coverage)"),
                row_label=area_title,
                row_labels=b.area_label,
                column_labels=_one_column(_("People reached")),
            ),
        ],
        "charts": ["activities_by_type"],
        "maps": [{"table": "coverage_by_area", "level": b.level}],
    }
    services = _services_table(b)
    if services is not None:
        capacities["tables"].insert(1, services)
    capacities["narrative"] = _(
        "%(sent)s referrals were made and %(completed)s completed; %(activities)s activities reached "
        "%(people)s people."
    ) % {
        "sent": b.text(capacities["figures"][0]),
        "completed": b.text(capacities["figures"][1]),
        "activities": b.text(capacities["figures"][2]),
        "people": b.text(capacities["figures"][3]),
    }

    sections = []
    for key, section in zip(SECTIONS, (context, threats, effects, capacities), strict=True):
        sections.append({"key": key, "title": titles[key], **section})
    return {
        "kind": "monthly_analysis",
        "threshold": b.threshold,
        "month": month,
        "area": {"pcode": b.area.pcode, "name": b.area.name_fr} if b.area is not None else None,
        "sections": sections,
    }


def prefilled_narrative(figures: dict) -> dict:
    return {section["key"]: section.get("narrative", "") for section in figures.get("sections", [])}
