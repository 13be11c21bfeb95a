"""The first draft of a flash report, written from an alert's incidents (standards §3 minimum content).

What, where, when, victims by sex and age, displacement and alleged perpetrators come from coded data
only: never an account, coordinates, a settlement or a free-text summary, which could identify someone
(the IMO adds context by hand). Victims of GBV incidents are counted but not broken down by sex and age
(GBVIMS information-sharing protocol). The draft is written in the site language (French), whatever the
language of the request that triggered it, and keeps its figures as JSON for the PDF and for checks.
"""

from collections import Counter, defaultdict

from django.conf import settings
from django.db.models import Count, Sum
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from sentinelle.geography.models import AdminArea
from sentinelle.monitoring.models import (
    AgeGroup,
    AlertRule,
    Category,
    DeviceType,
    ExplosiveAccident,
    GraveViolation,
    IncidentCategory,
    Outcome,
    PerpetratorCategory,
    Reliability,
    Sex,
    SourceMechanism,
    VictimCount,
    ViolationType,
)

CHILD_AGES = {AgeGroup.AGE_0_5, AgeGroup.AGE_6_11, AgeGroup.AGE_12_17}
ADULT_AGES = {AgeGroup.AGE_18_59, AgeGroup.AGE_60_PLUS}


def _day(value) -> str:
    return date_format(value, "j F Y")


def _period(first, last) -> str:
    if first == last:
        return _("on %(date)s") % {"date": _day(first)}
    return _("from %(start)s to %(end)s") % {"start": _day(first), "end": _day(last)}


def _listing(counts: dict, labels) -> str:
    """ "Label (n), Label (m)" by decreasing count, labels from a TextChoices class."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
    return ", ".join(f"{labels(code).label} ({n})" for code, n in ordered)


def flash_report_draft(alert) -> dict:
    """FlashReport field values for a new draft of `alert`'s report."""
    return flash_report_drafts([alert])[alert.pk]


def flash_report_drafts(alerts: list) -> dict[int, dict]:
    """Drafts of several alerts' reports (alert pk -> field values), read together: one query per kind
    of figure for all the alerts, not one per alert (an import refreshes hundreds of drafts)."""
    if not alerts:
        return {}
    with translation.override(settings.LANGUAGE_CODE):
        data = _Figures(alerts)
        return {alert.pk: _draft(alert, data) for alert in alerts}


ROW_FIELDS = (
    "area_id",
    "date_start",
    "date_end",
    "date_reported",
    "date_estimated",
    "perpetrator_category",
    "source_mechanism",
    "reliability",
    "organisation_id",
    "displaced_households",
    "displaced_individuals",
)


class _Figures:
    """The coded data of the alerts' incidents, by alert and by incident: eight queries for up to 5,000
    incidents, five more for each further 5,000."""

    def __init__(self, alerts: list):
        from sentinelle.monitoring.models import Alert, Incident

        # The links first, then each table by chunks of incident ids: driven from the alerts' few hundred
        # incidents, never by a join the planner may run from the incident table's million rows.
        links = list(
            Alert.incidents.through.objects.filter(alert_id__in=[alert.pk for alert in alerts])
            .order_by()
            .values_list("alert_id", "incident_id")
        )
        chunks = id_chunks(sorted({incident_id for _alert_id, incident_id in links}))
        found: dict[int, dict] = {}
        for chunk in chunks:
            for values in (
                Incident.objects.filter(pk__in=chunk, is_archived=False)
                .order_by()
                .values_list("pk", *ROW_FIELDS)
            ):
                found[values[0]] = dict(zip(ROW_FIELDS, values[1:], strict=True))
        self.rows: dict[int, list[dict]] = defaultdict(list)
        self.ids: dict[int, list[int]] = defaultdict(list)
        for alert_id, incident_id in links:
            if incident_id in found:
                self.ids[alert_id].append(incident_id)
                self.rows[alert_id].append(found[incident_id])
        self.categories: dict[int, set[str]] = defaultdict(set)
        for chunk in chunks:
            for incident_id, category in IncidentCategory.objects.filter(incident_id__in=chunk).values_list(
                "incident_id", "category"
            ):
                self.categories[incident_id].add(category)
        self.violations = self._counts(GraveViolation, "type", chunks)
        self.devices = self._counts(ExplosiveAccident, "device_type", chunks)
        self.victims: dict[int, list[tuple]] = defaultdict(list)
        for chunk in chunks:
            cells = (
                VictimCount.objects.filter(incident_id__in=chunk)
                .values("incident_id", "outcome", "sex", "age_group")
                .annotate(n=Sum("count"))
                .order_by()
            )
            for cell in cells:
                self.victims[cell["incident_id"]].append(
                    (cell["outcome"], cell["sex"], cell["age_group"], cell["n"])
                )
        chains = {(alert.area.version_id, pcode) for alert in alerts for pcode in alert.area.path_pcodes}
        self.chain = {
            (a.version_id, a.pcode): a
            for a in AdminArea.objects.filter(
                version_id__in={version for version, _pcode in chains},
                pcode__in={pcode for _version, pcode in chains},
            ).only("pcode", "name_fr", "level", "version_id")
        }
        places = {row["area_id"] for rows in self.rows.values() for row in rows}
        self.places = AdminArea.objects.only("pcode", "name_fr", "level").in_bulk(places)

    @staticmethod
    def _counts(model, field: str, chunks: list[list[int]]) -> dict[int, Counter]:
        found: dict[int, Counter] = defaultdict(Counter)
        for chunk in chunks:
            rows = (
                model.objects.filter(incident_id__in=chunk)
                .values("incident_id", field)
                .annotate(n=Count("pk"))
                .order_by()
                .values_list("incident_id", field, "n")
            )
            for incident_id, code, n in rows:
                found[incident_id][code] += n
        return found


# Ids per query: well under SQLite's 32,766 parameters, and an index probe each on PostgreSQL.
CHUNK = 5_000


def id_chunks(ids: list, size: int | None = None) -> list[list]:
    """`ids` in slices of `size` (default CHUNK), for `__in` filters (alerts.py uses it too)."""
    size = size or CHUNK
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def _sum_counters(counters) -> dict:
    total: Counter = Counter()
    for counter in counters:
        total.update(counter)
    return dict(total)


def _draft(alert, data: _Figures) -> dict:
    rule, area = alert.rule, alert.area
    rows = data.rows.get(alert.pk, [])
    ids = data.ids.get(alert.pk, [])
    categories = dict(Counter(category for pk in ids for category in data.categories.get(pk, ())))
    gbv_ids = {pk for pk in ids if Category.GBV in data.categories.get(pk, ())}
    violations = _sum_counters(data.violations[pk] for pk in ids if pk in data.violations)
    devices = _sum_counters(data.devices[pk] for pk in ids if pk in data.devices)
    figures = {
        "rule": {
            "name": rule.name,
            "kind": rule.kind,
            "metric": rule.metric,
            "threshold": rule.threshold,
            "window_days": rule.window_days,
        },
        "value": alert.value,
        "incidents": len(rows),
        "organisations": len({row["organisation_id"] for row in rows}),
        "window": [alert.window_start.isoformat(), alert.window_end.isoformat()],
        "categories": categories,
        "violations": violations,
        "devices": devices,
        "perpetrators": dict(Counter(row["perpetrator_category"] for row in rows)),
        "sources": dict(Counter(row["source_mechanism"] for row in rows)),
        "reliability": dict(Counter(row["reliability"] for row in rows)),
    }
    figures["area"], figures["areas"], where = _where(area, rows, data)
    figures["dates"], when = _when(alert, rows)
    figures["victims"], victims = _victims(ids, gbv_ids, data)
    figures["displacement"], displacement = _displacement(rows)
    return {
        "title": _title(alert),
        "what": _what(alert, figures),
        "where": where,
        "when": when,
        "victims": victims,
        "displacement": displacement,
        "perpetrators": _perpetrators(figures["perpetrators"]),
        "immediate_needs": "",
        "response": "",
        "figures": figures,
    }


def _title(alert) -> str:
    return _("%(rule)s: %(area)s (%(pcode)s), %(period)s") % {
        "rule": alert.rule.name,
        "area": alert.area.name_fr,
        "pcode": alert.area.pcode,
        "period": _period(alert.window_start, alert.window_end),
    }


def _what(alert, figures: dict) -> str:
    rule = alert.rule
    values = {
        "rule": rule.name,
        "area": alert.area.name_fr,
        "value": alert.value,
        "metric": str(AlertRule.Metric(rule.metric).label).lower(),
        "threshold": rule.threshold,
        "days": rule.window_days,
        "period": _period(alert.window_start, alert.window_end),
    }
    if rule.kind == AlertRule.Kind.ALWAYS:
        lines = [_("An incident matching the alert rule “%(rule)s” in %(area)s, %(period)s.") % values]
    else:
        lines = [
            _(
                "Alert rule “%(rule)s”: %(metric)s in %(area)s %(period)s: %(value)s "
                "(threshold: %(threshold)s in %(days)s days)."
            )
            % values
        ]
    lines.append(
        _("Incidents: %(incidents)s, reported by %(organisations)s organisation(s).")
        % {"incidents": figures["incidents"], "organisations": figures["organisations"]}
    )
    if figures["categories"]:
        lines.append(_("Categories: %(list)s.") % {"list": _listing(figures["categories"], Category)})
    if figures["violations"]:
        lines.append(
            _("Grave violations against children: %(list)s.")
            % {"list": _listing(figures["violations"], ViolationType)}
        )
    if figures["devices"]:
        lines.append(_("Explosive devices: %(list)s.") % {"list": _listing(figures["devices"], DeviceType)})
    lines.append(
        _("Sources: %(sources)s. Reliability: %(reliability)s.")
        % {
            "sources": _listing(figures["sources"], SourceMechanism),
            "reliability": _listing(figures["reliability"], Reliability),
        }
    )
    return "\n".join(lines)


def _where(area: AdminArea, rows: list[dict], data: _Figures):
    """The alert's area with the areas above it, then each incident area with its count."""
    found = (data.chain.get((area.version_id, pcode)) for pcode in area.path_pcodes)
    chain = sorted((a for a in found if a is not None), key=lambda a: a.level)
    area_figure = {
        "pcode": area.pcode,
        "name": area.name_fr,
        "level": area.level,
        "chain": [{"pcode": a.pcode, "name": a.name_fr, "level": a.level} for a in chain],
    }
    per_area = Counter(row["area_id"] for row in rows)
    places = sorted((data.places[pk] for pk in per_area if pk in data.places), key=lambda p: p.pcode)
    areas = [
        {"pcode": p.pcode, "name": p.name_fr, "level": p.level, "incidents": per_area[p.pk]} for p in places
    ]
    text = [" › ".join(f"{a.name_fr} ({a.pcode})" for a in chain if a.level > 0)]
    if areas:
        listed = "; ".join(f"{a['name']} ({a['pcode']}): {a['incidents']}" for a in areas)
        text.append(_("Places of the incidents (incidents per area): %(list)s.") % {"list": listed})
    return area_figure, areas, "\n".join(text)


def _when(alert, rows: list[dict]):
    starts = [row["date_start"] for row in rows]
    ends = [row["date_end"] or row["date_start"] for row in rows]
    reported = [row["date_reported"] for row in rows]
    if not rows:
        return {}, _("Window: %(period)s.") % {"period": _period(alert.window_start, alert.window_end)}
    dates = {
        "first": min(starts).isoformat(),
        "last": max(ends).isoformat(),
        "reported_first": min(reported).isoformat(),
        "reported_last": max(reported).isoformat(),
        "estimated": any(row["date_estimated"] for row in rows),
    }
    lines = [
        _("Incidents occurred %(period)s.") % {"period": _period(min(starts), max(ends))},
        _("Reported %(period)s.") % {"period": _period(min(reported), max(reported))},
    ]
    if alert.rule.kind == AlertRule.Kind.THRESHOLD:
        lines.append(
            _("Alert window: %(period)s.") % {"period": _period(alert.window_start, alert.window_end)}
        )
    if dates["estimated"]:
        lines.append(_("Some dates are estimated."))
    return dates, "\n".join(lines)


def _victims(ids: list[int], gbv_ids: set[int], data: _Figures):
    by_outcome: Counter = Counter()
    by_sex_age: dict[str, Counter] = defaultdict(Counter)
    withheld = 0
    for pk in ids:
        for outcome, sex, age_group, n in data.victims.get(pk, ()):
            if pk in gbv_ids:
                withheld += n
                continue
            by_outcome[outcome] += n
            by_sex_age[sex][age_group] += n
    total = sum(by_outcome.values())
    figure = {
        "total": total + withheld,
        "by_outcome": dict(by_outcome),
        "by_sex_age": {sex: dict(ages) for sex, ages in by_sex_age.items()},
        "withheld_gbv": withheld,
    }
    if not figure["total"]:
        return figure, _("No victim recorded.")

    def sex_total(sex):
        return sum(by_sex_age.get(sex, {}).values())

    def age_total(ages):
        return sum(n for per_age in by_sex_age.values() for age, n in per_age.items() if age in ages)

    lines = []
    if total:
        outcomes = ", ".join(
            f"{str(Outcome(code).label).lower()}: {by_outcome[code]}"
            for code in Outcome.values
            if by_outcome[code]
        )
        lines.append(_("Victims: %(total)s (%(outcomes)s).") % {"total": total, "outcomes": outcomes})
        lines.append(
            _("By sex: women and girls %(f)s, men and boys %(m)s, sex unknown %(unknown)s.")
            % {"f": sex_total(Sex.FEMALE), "m": sex_total(Sex.MALE), "unknown": sex_total(Sex.UNKNOWN)}
        )
        lines.append(
            _(
                "By age: children (0-17) %(children)s, adults (18 and over) %(adults)s, "
                "age unknown %(unknown)s."
            )
            % {
                "children": age_total(CHILD_AGES),
                "adults": age_total(ADULT_AGES),
                "unknown": age_total({AgeGroup.UNKNOWN}),
            }
        )
        for sex in Sex.values:
            ages = by_sex_age.get(sex)
            if ages:
                detail = ", ".join(
                    f"{AgeGroup(age).label}: {ages[age]}" for age in AgeGroup.values if ages.get(age)
                )
                lines.append(f"{Sex(sex).label}: {detail}.")
    if withheld:
        lines.append(
            _(
                "Survivors of gender-based violence: %(count)s, not broken down by sex and age "
                "(GBVIMS information-sharing protocol)."
            )
            % {"count": withheld}
        )
    return figure, "\n".join(lines)


def _displacement(rows: list[dict]):
    households = [row["displaced_households"] for row in rows if row["displaced_households"] is not None]
    individuals = [row["displaced_individuals"] for row in rows if row["displaced_individuals"] is not None]
    figure = {
        "households": sum(households) if households else None,
        "individuals": sum(individuals) if individuals else None,
    }
    if not households and not individuals:
        return figure, _("No displacement reported.")
    parts = []
    if households:
        parts.append(_("households displaced: %(n)s") % {"n": figure["households"]})
    if individuals:
        parts.append(_("individuals displaced: %(n)s") % {"n": figure["individuals"]})
    text = "; ".join(parts)
    return figure, text[:1].upper() + text[1:] + "."


def _perpetrators(counts: dict) -> str:
    if not counts:
        return ""
    return _("Categories of alleged perpetrators (incidents): %(list)s.") % {
        "list": _listing(counts, PerpetratorCategory)
    }
