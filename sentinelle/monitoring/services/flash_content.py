"""The first draft of a flash report, written from an alert's incidents (standards §3 minimum content).

What, where, when, victims by sex and age, displacement and alleged perpetrators come from coded data
only: never an account, coordinates, a settlement or a free-text summary, which could identify someone
(the IMO adds context by hand). Victims of GBV incidents are counted but not broken down by sex and age
(GBVIMS information-sharing protocol). The draft is written in the site language (French), whatever the
language of the request that triggered it, and keeps its figures as JSON for the PDF and for checks.
Its sentences (what happened, where, who is affected, the comparison with the previous period, needs
and response) are written by flash_narrative.py from the figures computed here.

A draft is written to be published, so its text carries the readers' figures of core/disclosure.py (the
cell key method): a count from 1 to 4 reads "<5", the others are perturbed by up to 2 from the keys of
the records they count (incidents, victim cells, grave violations), so that the same incidents read the
same in a flash report, on the dashboards and in the statistics API; the exact figures stay in the
draft's JSON for the IMO, beside the readers' ones (`published`) that the PDF draws. A note says so.

It also follows the GBV floor (design §6, core/datasets.py). When the
alert's area is finer than the protocol's level, GBV incidents (category GBV, or sexual violence against
children) are left out of every figure and text of the draft, the rule's value (which counted them) is
not stated, and a note says so; a rule about GBV incidents only gets no figure there, the reason instead.
At or above that level, the places of the incidents finer than it are listed without GBV incidents.
"""

from collections import Counter, defaultdict

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from sentinelle.core.codes import ADULT_AGE_GROUPS, CHILD_AGE_GROUPS
from sentinelle.core.datasets import gbv_withheld_note
from sentinelle.core.disclosure import Audience, Cell, add_keys, gbv_min_admin_level, reader_note, show_cell
from sentinelle.geography.models import AdminArea
from sentinelle.monitoring.models import (
    AgeGroup,
    AlertRule,
    Category,
    Outcome,
    PerpetratorCategory,
    Sex,
    ViolationType,
)
from sentinelle.monitoring.services import flash_narrative
from sentinelle.monitoring.services.flash_figures import AlertFigures

# Fine and coarse groups (children 0-17 or adults 18+, the finer group unknown) alike.
CHILD_AGES = set(CHILD_AGE_GROUPS)
ADULT_AGES = set(ADULT_AGE_GROUPS)


def _day(value) -> str:
    return date_format(value, "j F Y")


def _period(first, last) -> str:
    if first == last:
        return _("on %(date)s") % {"date": _day(first)}
    return _("from %(start)s to %(end)s") % {"start": _day(first), "end": _day(last)}


def _shown(cell: Cell) -> str:
    """A count as readers get it ("<5", or within 2 of the count)."""
    return show_cell(cell, threshold=_threshold(), audience=Audience.PUBLIC)


def _threshold() -> int:
    from sentinelle.core.disclosure import threshold_setting

    return threshold_setting()


def _listing(cells: dict[str, Cell], labels) -> str:
    """ "Label (n), Label (m)" with the readers' figures, the largest first (small ones by label: their
    order must not rank them)."""

    def order(item):
        code, cell = item
        shown = cell.published(_threshold())
        return (-(shown if shown is not None else 0), str(labels(code).label))

    return ", ".join(
        f"{labels(code).label} ({_shown(cell)})" for code, cell in sorted(cells.items(), key=order)
    )


def _keyed(pairs) -> dict:
    """{code: Cell} from (code, count, key) triples: counts and keys added up."""
    out: dict = {}
    for code, count, key in pairs:
        cell = out.get(code, Cell(0, 0))
        out[code] = Cell(cell.value + int(count or 0), add_keys(cell.key, int(key or 0)))
    return out


def flash_report_draft(alert) -> dict:
    """FlashReport field values for a new draft of `alert`'s report."""
    return flash_report_drafts([alert])[alert.pk]


def flash_report_drafts(alerts: list) -> dict[int, dict]:
    """Drafts of several alerts' reports (alert pk -> field values), read together: one query per kind
    of figure for all the alerts, not one per alert (an import refreshes hundreds of drafts)."""
    if not alerts:
        return {}
    with translation.override(settings.LANGUAGE_CODE):
        data = AlertFigures(alerts)
        data.previous = flash_narrative.previous_periods(alerts)
        data.services = flash_narrative.services_near(alerts)
        return {alert.pk: _draft(alert, data) for alert in alerts}


def _sum_counters(counters) -> dict:
    total: Counter = Counter()
    for counter in counters:
        total.update(counter)
    return dict(total)


GBV_VIOLATIONS = frozenset({ViolationType.SEXUAL_VIOLENCE.value})


def _gbv_only(rule) -> bool:
    """A rule that matches GBV incidents only (the GBV category, or sexual violence against children)."""
    categories, violations = set(rule.categories or ()), set(rule.violation_types or ())
    return bool(categories and categories <= {Category.GBV.value}) or bool(
        violations and violations <= GBV_VIOLATIONS
    )


def _draft(alert, data: AlertFigures) -> dict:
    rule, area = alert.rule, alert.area
    rows = data.rows.get(alert.pk, [])
    ids = data.ids.get(alert.pk, [])
    gbv_ids = {
        pk
        for pk in ids
        if Category.GBV in data.categories.get(pk, ()) or GBV_VIOLATIONS & set(data.violations.get(pk, ()))
    }
    below_floor = rule.subject == AlertRule.Subject.INCIDENTS and area.level > gbv_min_admin_level()
    if below_floor and (_gbv_only(rule) or (ids and gbv_ids.issuperset(ids))):
        # Nothing but GBV incidents to describe: the IMO gets the reason, and nothing to publish.
        return _refused_draft(alert, data)
    if below_floor:
        # Decided from the alert's area, never from whether GBV incidents are among its incidents.
        kept = [index for index, pk in enumerate(ids) if pk not in gbv_ids]
        ids, rows, gbv_ids = [ids[i] for i in kept], [rows[i] for i in kept], set()
    categories = dict(Counter(category for pk in ids for category in data.categories.get(pk, ())))
    violations = _sum_counters(data.violations[pk] for pk in ids if pk in data.violations)
    devices = _sum_counters(data.devices[pk] for pk in ids if pk in data.devices)
    # The same counts with their cell keys (what readers get): incidents carry theirs, grave violations
    # theirs; an accident counts under its incident's key.
    key_of = {pk: int(row["record_key"] or 0) for pk, row in zip(ids, rows, strict=True)}
    cells = {
        "incidents": Cell(len(rows), add_keys(0, *key_of.values())),
        "categories": _keyed((code, 1, key_of[pk]) for pk in ids for code in data.categories.get(pk, ())),
        "violations": _keyed(
            (code, n, data.violation_keys.get(pk, {}).get(code, 0))
            for pk in ids
            for code, n in data.violations.get(pk, {}).items()
        ),
        "devices": _keyed(
            (code, n, key_of[pk] * n) for pk in ids for code, n in data.devices.get(pk, {}).items()
        ),
        "perpetrators": _keyed((row["perpetrator_category"], 1, row["record_key"]) for row in rows),
        "sources": _keyed((row["source_mechanism"], 1, row["record_key"]) for row in rows),
        "reliability": _keyed((row["reliability"], 1, row["record_key"]) for row in rows),
    }
    figures = {
        "rule": {
            "name": rule.name,
            "kind": rule.kind,
            "metric": rule.metric,
            "threshold": rule.threshold,
            "window_days": rule.window_days,
        },
        # Below the protocol's level the rule's value counted GBV incidents the draft leaves out: kept out.
        "value": None if below_floor else alert.value,
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
    places_rows = rows
    if not below_floor and rule.subject == AlertRule.Subject.INCIDENTS:
        # The places finer than the protocol's level are listed without GBV incidents.
        floor = gbv_min_admin_level()
        places_rows = [
            row
            for pk, row in zip(ids, rows, strict=True)
            if pk not in gbv_ids or getattr(data.places.get(row["area_id"]), "level", 0) <= floor
        ]
    figures["area"], figures["areas"], where = _where(area, places_rows, data)
    figures["dates"], when = _when(alert, rows)
    figures["victims"], victims, victim_cells = _victims(ids, gbv_ids, data)
    figures["displacement"], displacement, displacement_cells = _displacement(rows)
    # The readers' figures of the PDF's victims table (exact ones above, for the IMO).
    figures["published"] = {"victims": _published_victims(victim_cells)}
    cells["value"] = {
        AlertRule.Metric.EVENTS: cells["incidents"],
        AlertRule.Metric.VICTIMS: victim_cells["total"],
        AlertRule.Metric.KILLED: victim_cells["outcomes"].get("killed", Cell(0, 0)),
        AlertRule.Metric.DISPLACED: displacement_cells.get("individuals"),
    }.get(rule.metric)
    previous = flash_narrative.previous_cell(data.previous.get(alert.pk), without_gbv=below_floor)
    if previous is not None:
        figures["previous"] = {
            "window": [previous["start"].isoformat(), previous["end"].isoformat()],
            "incidents": previous["count"],
        }
    figures["suggested_needs"] = flash_narrative.needs_text(figures)
    what = flash_narrative.what_text(
        alert,
        figures,
        cells,
        victim_cells,
        displacement_cells,
        previous=previous,
    )
    if rule.subject == AlertRule.Subject.INCIDENTS and (below_floor or places_rows is not rows):
        note = gbv_withheld_note() if below_floor else _places_note()
        what = f"{what}\n{note}"
        figures["gbv_withheld"] = "all" if below_floor else "places"
    what = f"{what}\n{reader_note()}"
    return {
        "title": _title(alert),
        "what": what,
        "where": where,
        "when": when,
        "victims": victims,
        "displacement": displacement,
        "perpetrators": _perpetrators(cells["perpetrators"]),
        # The IMO writes the needs the partners report (publishing waits for them); the draft suggests.
        "immediate_needs": "",
        "response": flash_narrative.response_text(figures, data.services.get(alert.pk)),
        "figures": figures,
    }


def _places_note() -> str:
    return _(
        "GBV incidents are not counted in the places finer than admin level %(level)d "
        "(information-sharing protocol)."
    ) % {"level": gbv_min_admin_level()}


def _refused_draft(alert, data: AlertFigures) -> dict:
    """The draft of a GBV-only alert finer than the protocol's level: the area and the window, no figure."""
    refusal = _(
        "This alert is about GBV incidents only: the information-sharing protocol does not allow GBV "
        "figures below admin level %(level)d, so this draft gives none."
    ) % {"level": gbv_min_admin_level()}
    rule = alert.rule
    area_figure, _areas, where = _where(alert.area, [], data)
    return {
        "title": _title(alert),
        "what": refusal,
        "where": where,
        "when": _("Window: %(period)s.") % {"period": _period(alert.window_start, alert.window_end)},
        "victims": "",
        "displacement": "",
        "perpetrators": "",
        "immediate_needs": "",
        "response": "",
        "figures": {
            "rule": {"name": rule.name, "kind": rule.kind, "metric": rule.metric},
            "window": [alert.window_start.isoformat(), alert.window_end.isoformat()],
            "area": area_figure,
            "areas": [],
            "gbv_refused": True,
        },
    }


def draft_title(alert) -> str:
    """The title of an alert's flash report, in the site language (a draft written later has the same)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _title(alert)


def _title(alert) -> str:
    return _("%(rule)s: %(area)s (%(pcode)s), %(period)s") % {
        "rule": alert.rule.name,
        "area": alert.area.name_fr,
        "pcode": alert.area.pcode,
        "period": _period(alert.window_start, alert.window_end),
    }


def _where(area: AdminArea, rows: list[dict], data: AlertFigures):
    """The alert's area with the areas above it, then each incident area with its count (the text names
    them with their P-codes: flash_narrative.py)."""
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
    return area_figure, areas, flash_narrative.where_text(area_figure, areas)


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


def _victims(ids: list[int], gbv_ids: set[int], data: AlertFigures):
    """(exact figures, text with the readers' figures, the readers' cells)."""
    by_outcome: Counter = Counter()
    by_sex_age: dict[str, Counter] = defaultdict(Counter)
    withheld = 0
    cells: list[tuple] = []  # (outcome, sex, age group, count, key) of the victims described
    gbv_cells: list[tuple] = []
    for pk in ids:
        for outcome, sex, age_group, n, key in data.victims.get(pk, ()):
            if pk in gbv_ids:
                withheld += n
                gbv_cells.append((n, key))
                continue
            by_outcome[outcome] += n
            by_sex_age[sex][age_group] += n
            cells.append((outcome, sex, age_group, n, key))
    total = sum(by_outcome.values())
    figure = {
        "total": total + withheld,
        "by_outcome": dict(by_outcome),
        "by_sex_age": {sex: dict(ages) for sex, ages in by_sex_age.items()},
        "withheld_gbv": withheld,
    }

    def cell_of(chosen) -> Cell:
        return Cell(sum(c[3] for c in chosen), add_keys(0, *(int(c[4] or 0) for c in chosen)))

    published = {
        "total": cell_of(cells + [(None, None, None, n, key) for n, key in gbv_cells]),
        "described": cell_of(cells),
        "outcomes": {code: cell_of([c for c in cells if c[0] == code]) for code in Outcome.values},
        "sex_age": {
            (sex, age): cell_of([c for c in cells if (c[1], c[2]) == (sex, age)])
            for sex in Sex.values
            for age in AgeGroup.values
        },
        "sex": {sex: cell_of([c for c in cells if c[1] == sex]) for sex in Sex.values},
        "gbv": cell_of([(None, None, None, n, key) for n, key in gbv_cells]),
    }
    if not figure["total"]:
        return figure, _("No victim recorded."), published

    def ages_of(ages) -> str:
        return _shown(cell_of([c for c in cells if c[2] in ages]))

    lines = []
    if total:
        outcomes = ", ".join(
            f"{str(Outcome(code).label).lower()}: {_shown(published['outcomes'][code])}"
            for code in Outcome.values
            if by_outcome[code]
        )
        lines.append(
            _("Victims: %(total)s (%(outcomes)s).")
            % {"total": _shown(published["described"]), "outcomes": outcomes}
        )
        lines.append(
            _("By sex: women and girls %(f)s, men and boys %(m)s, sex unknown %(unknown)s.")
            % {
                sex_key: _shown(published["sex"][code])
                for sex_key, code in (("f", Sex.FEMALE), ("m", Sex.MALE), ("unknown", Sex.UNKNOWN))
            }
        )
        lines.append(
            _(
                "By age: children (0-17) %(children)s, adults (18 and over) %(adults)s, "
                "age unknown %(unknown)s."
            )
            % {
                "children": ages_of(CHILD_AGES),
                "adults": ages_of(ADULT_AGES),
                "unknown": ages_of({AgeGroup.UNKNOWN}),
            }
        )
        for sex in Sex.values:
            ages = by_sex_age.get(sex)
            if ages:
                detail = ", ".join(
                    f"{AgeGroup(age).label}: {_shown(published['sex_age'][(sex, age)])}"
                    for age in AgeGroup.values
                    if ages.get(age)
                )
                lines.append(f"{Sex(sex).label}: {detail}.")
    if withheld:
        lines.append(
            _(
                "Survivors of gender-based violence: %(count)s, not broken down by sex and age "
                "(GBVIMS information-sharing protocol)."
            )
            % {"count": _shown(published["gbv"])}
        )
    return figure, "\n".join(lines), published


def _published_victims(published: dict) -> dict:
    """The PDF's victims table as readers get it: texts by sex and age group, totals, outcomes."""
    return {
        "sex_age": {
            f"{sex}|{age}": _shown(cell) for (sex, age), cell in published["sex_age"].items() if cell.value
        },
        "sex": {sex: _shown(cell) for sex, cell in published["sex"].items()},
        "ages": {
            age: _shown(
                Cell(
                    sum(published["sex_age"][(sex, age)].value for sex in Sex.values),
                    add_keys(0, *(published["sex_age"][(sex, age)].key for sex in Sex.values)),
                )
            )
            for age in AgeGroup.values
        },
        "total": _shown(published["described"]),
        "outcomes": {code: _shown(cell) for code, cell in published["outcomes"].items() if cell.value},
        "gbv": _shown(published["gbv"]) if published["gbv"].value else "",
    }


def _displacement(rows: list[dict]):
    households = [row["displaced_households"] for row in rows if row["displaced_households"] is not None]
    individuals = [row["displaced_individuals"] for row in rows if row["displaced_individuals"] is not None]
    figure = {
        "households": sum(households) if households else None,
        "individuals": sum(individuals) if individuals else None,
    }
    # People counted by the incidents' reports: the readers' figures, under the incidents' keys.
    cells = {}
    for name in ("households", "individuals"):
        reporting = [row for row in rows if row[f"displaced_{name}"] is not None]
        if reporting:
            cells[name] = Cell(figure[name], add_keys(0, *(int(row["record_key"] or 0) for row in reporting)))
    if not households and not individuals:
        return figure, _("No displacement reported."), cells
    parts = []
    if households:
        parts.append(_("households displaced: %(n)s") % {"n": _shown(cells["households"])})
    if individuals:
        parts.append(_("individuals displaced: %(n)s") % {"n": _shown(cells["individuals"])})
    text = "; ".join(parts)
    return figure, text[:1].upper() + text[1:] + ".", cells


def _perpetrators(cells: dict) -> str:
    if not cells:
        return ""
    return _("Categories of alleged perpetrators (incidents): %(list)s.") % {
        "list": _listing(cells, PerpetratorCategory)
    }
