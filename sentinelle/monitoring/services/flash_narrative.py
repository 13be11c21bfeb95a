"""The sentences of a flash report's draft, as an information manager would send them: what happened,
where (place names with their P-codes in brackets), who is affected, how it compares with the previous
period, the response (who reported, which services the directory lists there), and the immediate needs
the incidents' categories usually call for, suggested to the IMO (who writes the needs the partners
report: publishing waits for them). flash_content.py computes the figures and calls these.

Every figure is the readers' one (core/disclosure.py: "<5" for a small count, the others within 2),
from the cells flash_content.py computed; a comparison says "more" or "fewer" only from readers'
figures, never from exact ones, and says nothing when one of them is small. Place names are COD-AB's;
nothing comes from an incident's account or coordinates.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from sentinelle.core.codes import CHILD_AGE_GROUPS
from sentinelle.core.disclosure import Audience, Cell, add_keys, show_cell, threshold_setting
from sentinelle.directory.models import ServiceStatus, ServiceType
from sentinelle.geography.paths import ancestor_paths
from sentinelle.monitoring.models import (
    AlertRule,
    Category,
    DeviceType,
    Outcome,
    Reliability,
    Sex,
    SourceMechanism,
)

# A comparison says "more" or "fewer" past this ratio of the readers' figures, "about as many" within.
CHANGE = 1.25


@dataclass(frozen=True)
class Response:
    """What a category of incident usually calls for: needs to confirm, and the directory's services."""

    needs: tuple
    service_types: tuple[str, ...] = ()


RESPONSES: dict[str, Response] = {
    Category.LIFE: Response(
        (gettext_lazy("care for the wounded and support for bereaved families"),),
        (ServiceType.HEALTH, ServiceType.PSS),
    ),
    Category.INTEGRITY: Response(
        (gettext_lazy("medical care and psychosocial support for the victims"),),
        (ServiceType.HEALTH, ServiceType.PSS),
    ),
    Category.LIBERTY: Response(
        (gettext_lazy("legal aid and follow-up of the people arrested, detained or abducted"),),
        (ServiceType.LEGAL,),
    ),
    Category.PROPERTY: Response(
        (gettext_lazy("assistance for the households who lost their goods (essential items, cash)"),),
        (ServiceType.CASH_IPA,),
    ),
    Category.GBV: Response(
        (gettext_lazy("clinical management of rape within 72 hours and psychosocial support"),),
        (ServiceType.HEALTH, ServiceType.PSS, ServiceType.LEGAL),
    ),
    Category.MOVEMENT: Response(
        (gettext_lazy("shelter and essential household items for displaced households"),),
        (ServiceType.SHELTER, ServiceType.CASH_IPA),
    ),
    Category.CHILD_RIGHTS: Response(
        (gettext_lazy("child protection case management and family tracing"),),
        (ServiceType.CHILD_PROTECTION, ServiceType.PSS),
    ),
    Category.EXPLOSIVE: Response(
        (
            gettext_lazy("emergency care and physical rehabilitation of the injured"),
            gettext_lazy("explosive ordnance risk education and marking of the area"),
        ),
        (ServiceType.HEALTH, ServiceType.REHABILITATION),
    ),
    Category.ACCESS: Response((gettext_lazy("negotiation of humanitarian access"),)),
    Category.DOCUMENTATION: Response(
        (gettext_lazy("civil documentation and legal aid"),),
        (ServiceType.CIVIL_DOCUMENTATION, ServiceType.LEGAL),
    ),
    Category.COHESION: Response((gettext_lazy("community dialogue and mediation of the conflict"),)),
}


# --- Small helpers ----------------------------------------------------------------------------------


def shown(cell: Cell | None) -> str:
    """A count as readers get it ("<5", or within 2 of the count)."""
    return show_cell(cell or Cell(0, 0), threshold=threshold_setting(), audience=Audience.PUBLIC)


def _published(cell: Cell | None) -> int | None:
    return (cell or Cell(0, 0)).published(threshold_setting())


def _day(value) -> str:
    return date_format(value, "j F Y")


def period(first, last) -> str:
    if first == last:
        return _("on %(date)s") % {"date": _day(first)}
    return _("from %(start)s to %(end)s") % {"start": _day(first), "end": _day(last)}


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower(label: str) -> str:
    """A label inside a sentence: "Protection monitoring" -> "protection monitoring", "MRM" stays."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def _elide(text: str) -> str:
    """French elision before a vowel ("cercle de Ansongo" -> "cercle d'Ansongo"); other languages as is."""
    if not (translation.get_language() or "").startswith("fr"):
        return text
    return re.sub(r"\b([dD])e ([AEIOUÉÈÊÂÎÔaeiouéèêâîô])", r"\1'\2", text)


def _and(items: list[str]) -> str:
    if len(items) < 2:
        return "".join(items)
    return _("%(items)s and %(last)s") % {"items": ", ".join(items[:-1]), "last": items[-1]}


def _top_codes(cells: dict, labels, limit: int) -> list[str]:
    """The codes of the largest readers' figures (small ones are not ranked: their order would tell)."""
    ranked = sorted(
        (
            (shown_value, code)
            for code, cell in cells.items()
            if (shown_value := _published(cell)) is not None
        ),
        key=lambda item: (-item[0], str(labels(item[1]).label)),
    )
    return [code for _value, code in ranked[:limit]]


def _top(cells: dict, labels, limit: int) -> list[str]:
    return [str(labels(code).label) for code in _top_codes(cells, labels, limit)]


# --- Where ------------------------------------------------------------------------------------------


def place_name(name: str, pcode: str, level: int, *, article: bool = False) -> str:
    """ "cercle of Bandiagara (ML0503)", or with its article to follow "in": the kind of area, its COD-AB
    name and P-code."""
    values = {"name": name, "pcode": pcode}
    if level == 1:
        text = _("the %(name)s region (%(pcode)s)") if article else _("%(name)s region (%(pcode)s)")
    elif level == 2:
        text = _("the cercle of %(name)s (%(pcode)s)") if article else _("cercle of %(name)s (%(pcode)s)")
    elif level == 3:
        text = _("the commune of %(name)s (%(pcode)s)") if article else _("commune of %(name)s (%(pcode)s)")
    else:
        text = "%(name)s (%(pcode)s)"
    return _elide(text % values)


def _chain_text(chain: list, *, article: bool = False) -> str:
    """The area and those above it, finest first: "cercle of Bandiagara (ML0503), Mopti region (ML05)"."""
    areas = sorted((a for a in chain if a["level"] > 0), key=lambda a: -a["level"])
    return ", ".join(
        place_name(a["name"], a["pcode"], a["level"], article=article and i == 0) for i, a in enumerate(areas)
    )


def _area_text(area) -> str:
    return place_name(area.name_fr, area.pcode, area.level, article=True)


def where_text(area_figure: dict, places: list[dict]) -> str:
    """The alert's area within its parents, then the places of the incidents (names and P-codes)."""
    lines = [_sentence(_chain_text(area_figure["chain"])) + "."]
    others = [p for p in places if p["pcode"] != area_figure["pcode"]]
    if others:
        names = [f"{p['name']} ({p['pcode']})" for p in others]
        lines.append(_("Places of the incidents: %(list)s.") % {"list": ", ".join(names)})
    return "\n".join(lines)


# --- What happened ----------------------------------------------------------------------------------


def _subject(cells: dict) -> tuple[str, bool]:
    """What kind of incidents, and whether it is ranked: the two most frequent categories, or when every
    category is small up to three of them by name (unranked); explosive ordnance named by its devices."""
    ranked = _top_codes(cells["categories"], Category, 2)
    codes = ranked or sorted(cells["categories"], key=lambda code: str(Category(code).label))[:3]
    devices = _top(cells["devices"], DeviceType, 2) or sorted(
        str(DeviceType(code).label) for code in cells["devices"]
    )
    labels = []
    for code in codes:
        if code == Category.EXPLOSIVE and devices:
            labels += [_lower(device) for device in devices]
        else:
            labels.append(_lower(str(Category(code).label)))
    return _and(labels), bool(ranked)


def _where_it_happened(figures: dict) -> str:
    """Where, with its article: the incident's commune within the chain when there is one place."""
    places = figures.get("areas") or []
    if len(places) == 1 and places[0]["pcode"] != figures["area"]["pcode"]:
        place = places[0]
        head = place_name(place["name"], place["pcode"], place["level"], article=True)
        return f"{head}, {_chain_text(figures['area']['chain'])}"
    return _chain_text(figures["area"]["chain"], article=True)


def _what_sentence(alert, figures: dict, cells: dict) -> str:
    subject, ranked = _subject(cells)
    dates = figures.get("dates") or {}
    if dates:
        when = period(datetime.date.fromisoformat(dates["first"]), datetime.date.fromisoformat(dates["last"]))
    else:
        when = period(alert.window_start, alert.window_end)
    values = {"period": when, "place": _where_it_happened(figures), "count": shown(cells["incidents"])}
    values["what"] = subject
    if figures["incidents"] == 1:
        text = (
            _("%(period)s, an incident (%(what)s) occurred in %(place)s.")
            if subject
            else _("%(period)s, an incident occurred in %(place)s.")
        )
    elif not subject:
        text = _("%(period)s, %(count)s incidents were reported in %(place)s.")
    elif ranked:
        text = _("%(period)s, %(count)s incidents were reported in %(place)s, mostly: %(what)s.")
    else:
        text = _("%(period)s, %(count)s incidents were reported in %(place)s, among them: %(what)s.")
    return _sentence(text % values)


def _rule_sentence(alert) -> str:
    """The rule the alert fell under. Its value is not restated: the sentences around give the readers'
    figures, and below the protocol's level the value counted GBV incidents the draft leaves out."""
    rule = alert.rule
    values = {
        "rule": rule.name,
        "metric": str(AlertRule.Metric(rule.metric).label).lower(),
        "threshold": rule.threshold,
        "days": rule.window_days,
    }
    if rule.kind == AlertRule.Kind.ALWAYS:
        return _("It falls under the alert rule “%(rule)s”.") % values
    return _("It triggered the alert rule “%(rule)s” (%(threshold)s %(metric)s in %(days)s days).") % values


def _affected(victims: dict, displacement: dict, *, one: bool) -> str:
    """Who is affected: victims by outcome, children and women among them, the people displaced."""
    parts = []
    described = victims["described"]
    if described.value:
        outcomes = {
            Outcome.KILLED: _("%(n)s killed"),
            Outcome.INJURED: _("%(n)s injured"),
            Outcome.AFFECTED: _("%(n)s otherwise affected"),
        }
        listed = [
            text % {"n": shown(victims["outcomes"][code])}
            for code, text in outcomes.items()
            if victims["outcomes"].get(code, Cell(0, 0)).value
        ]
        children = [cell for (_sex, age), cell in victims["sex_age"].items() if age in CHILD_AGE_GROUPS]
        child_cell = Cell(sum(c.value for c in children), add_keys(0, *(c.key or 0 for c in children)))
        among = []
        if child_cell.value:
            among.append(_("%(n)s children") % {"n": shown(child_cell)})
        if victims["sex"][Sex.FEMALE].value:
            among.append(_("%(n)s women and girls") % {"n": shown(victims["sex"][Sex.FEMALE])})
        values = {"total": shown(described), "outcomes": ", ".join(listed)}
        if one:
            sentence = _("The incident left %(total)s victims (%(outcomes)s)") % values
        else:
            sentence = _("The incidents left %(total)s victims (%(outcomes)s)") % values
        if among:
            sentence += _(", among them %(list)s") % {"list": _and(among)}
        parts.append(sentence + ".")
    if victims["gbv"].value:
        parts.append(
            _(
                "%(count)s survivors of gender-based violence are counted without detail "
                "(information-sharing protocol)."
            )
            % {"count": shown(victims["gbv"])}
        )
    if not parts:
        parts.append(_("No victim was recorded."))
    if displacement.get("individuals") is not None:
        parts.append(_("%(n)s people were displaced.") % {"n": shown(displacement["individuals"])})
    elif displacement.get("households") is not None:
        parts.append(_("%(n)s households were displaced.") % {"n": shown(displacement["households"])})
    return " ".join(parts)


def _comparison(alert, previous: dict | None, current: Cell) -> str:
    if previous is None:
        return ""
    values = {
        "days": previous["days"],
        "period": period(previous["start"], previous["end"]),
        "previous": shown(previous["cell"]),
        "area": _area_text(alert.area),
    }
    if alert.rule.kind == AlertRule.Kind.ALWAYS:
        if not previous["cell"].value:
            text = _(
                "In the %(days)s days before (%(period)s), no other such incident was recorded in %(area)s."
            )
        else:
            text = _(
                "In the %(days)s days before (%(period)s), %(previous)s other such incidents were "
                "recorded in %(area)s."
            )
        return text % values
    now, before = _published(current), _published(previous["cell"])
    if now is None or before is None:
        text = _(
            "In the previous %(days)s days (%(period)s), %(previous)s incidents were recorded in %(area)s."
        )
    elif now > before * CHANGE:
        text = _("That is more than in the previous %(days)s days (%(period)s): %(previous)s.")
    elif now * CHANGE < before:
        text = _("That is fewer than in the previous %(days)s days (%(period)s): %(previous)s.")
    else:
        text = _("That is about as many as in the previous %(days)s days (%(period)s): %(previous)s.")
    return text % values


def _sources(figures: dict, cells: dict) -> str:
    named = _top(cells["sources"], SourceMechanism, 3) or sorted(
        str(SourceMechanism(code).label) for code in cells["sources"]
    )
    sources = _and([_lower(s) for s in named[:3]])
    reliability = _top(cells["reliability"], Reliability, 1)
    count = figures["organisations"]
    text = ngettext(
        "Reported by %(organisations)s organisation", "Reported by %(organisations)s organisations", count
    ) % {"organisations": count}
    if sources:
        text += _(" through %(sources)s") % {"sources": sources}
    text += "."
    if reliability:
        text += " " + _("Sources mostly rated “%(rating)s”.") % {"rating": reliability[0]}
    return text


def what_text(
    alert,
    figures: dict,
    cells: dict,
    victims: dict,
    displacement: dict,
    *,
    previous: dict | None,
) -> str:
    """The "what happened" paragraph, then who is affected and the comparison, then the sources."""
    first = [_what_sentence(alert, figures, cells), _rule_sentence(alert)]
    lines = [" ".join(first), _affected(victims, displacement, one=figures["incidents"] == 1)]
    compared = _comparison(alert, previous, cells["incidents"])
    if compared:
        lines.append(compared)
    lines.append(_sources(figures, cells))
    return "\n".join(lines)


# --- Needs and response -----------------------------------------------------------------------------


def _responses(figures: dict) -> list[Response]:
    categories = set(figures.get("categories") or {})
    if figures.get("devices"):
        categories.add(Category.EXPLOSIVE)
    if (figures.get("displacement") or {}).get("individuals") or (figures.get("displacement") or {}).get(
        "households"
    ):
        categories.add(Category.MOVEMENT)
    return [RESPONSES[code] for code in Category.values if code in categories and code in RESPONSES]


def needs_text(figures: dict) -> str:
    """The needs the incidents' categories usually call for, to confirm on the ground."""
    needs = list(dict.fromkeys(str(need) for response in _responses(figures) for need in response.needs))
    if not needs:
        return ""
    return _("Suggested from the incidents' categories, to confirm with the partners: %(needs)s.") % {
        "needs": pgettext("list separator", "; ").join(needs)
    }


def response_text(figures: dict, services: dict | None) -> str:
    """Who reported, and the services the directory lists in the area for these needs."""
    count = figures.get("organisations", 0)
    lines = [
        ngettext(
            "%(organisations)s organisation reported these incidents to the protection cluster.",
            "%(organisations)s organisations reported these incidents to the protection cluster.",
            count,
        )
        % {"organisations": count}
    ]
    types = list(dict.fromkeys(t for response in _responses(figures) for t in response.service_types))
    if types and services is not None:
        counts = services["counts"]
        listed = [
            f"{str(ServiceType(t).label).lower()} ({counts[t]})" if counts.get(t) else None for t in types
        ]
        found = [text for text in listed if text]
        missing = [str(ServiceType(t).label).lower() for t in types if not counts.get(t)]
        values = {"area": _area_text(services["area"]), "list": ", ".join(found)}
        if found:
            lines.append(_("Services listed in the Sentinelle directory in %(area)s: %(list)s.") % values)
        if missing:
            lines.append(_("No service known there for: %(list)s.") % {"list": ", ".join(missing)})
    return "\n".join(lines)


# --- Batched reads (all the alerts of a refresh at once) ------------------------------------------


def _gbv_flag():
    from sentinelle.monitoring.models import GraveViolation, IncidentCategory, ViolationType

    return Exists(IncidentCategory.objects.filter(incident=OuterRef("pk"), category=Category.GBV)) | Exists(
        GraveViolation.objects.filter(incident=OuterRef("pk"), type=ViolationType.SEXUAL_VIOLENCE)
    )


def previous_window(alert) -> tuple[datetime.date, datetime.date, int]:
    """The period a draft compares with: as long as the alert's window (a threshold rule), or the rule's
    window days (a rule on every incident), just before it."""
    if alert.rule.kind == AlertRule.Kind.ALWAYS:
        days = max(1, alert.rule.window_days)
    else:
        days = (alert.window_end - alert.window_start).days + 1
    end = alert.window_start - datetime.timedelta(days=1)
    return end - datetime.timedelta(days=days - 1), end, days


def previous_periods(alerts: list) -> dict[int, dict]:
    """For each incident alert, the incidents its rule counted in its area over the previous period, as
    a readers' cell (GBV incidents kept apart: the caller drops them below the protocol's level). One
    query per rule, whatever the number of alerts."""
    # Imported here: alerts.py imports the drafting modules.
    from sentinelle.monitoring.services.alerts import counted_incidents

    by_rule = defaultdict(list)
    for alert in alerts:
        if alert.rule.subject == AlertRule.Subject.INCIDENTS:
            by_rule[alert.rule_id].append(alert)
    found: dict[int, dict] = {}
    for same_rule in by_rule.values():
        windows = {alert.pk: previous_window(alert) for alert in same_rule}
        # One condition per area over the span of its alerts' windows (rows are sorted into each alert's
        # own window below): an import refreshes hundreds of drafts in a few areas, and one OR-term per
        # alert made a plan PostgreSQL could not index (19 s for 753 alerts at 1,000,000 incidents).
        spans: dict[tuple[int, str], tuple[datetime.date, datetime.date]] = {}
        for alert in same_rule:
            start, end, _days = windows[alert.pk]
            area = (alert.area.version_id, alert.area.path)
            low, high = spans.get(area, (start, end))
            spans[area] = (min(low, start), max(high, end))
        condition = Q(pk__in=[])
        for (version, path), span in spans.items():
            condition |= Q(area__version_id=version, area__path__startswith=path, date_start__range=span)
        rows = list(
            counted_incidents(same_rule[0].rule)
            .filter(condition)
            .annotate(is_gbv=_gbv_flag())
            .values_list("area__version_id", "area__path", "date_start", "record_key", "is_gbv")
        )
        # Each row goes to the alerts of the areas on its path (not every row against every alert).
        by_area = defaultdict(list)
        for alert in same_rule:
            by_area[(alert.area.version_id, alert.area.path)].append(alert)
            start, end, days = windows[alert.pk]
            found[alert.pk] = {"start": start, "end": end, "days": days, "rows": []}
        for version, path, day, key, gbv in rows:
            for above in ancestor_paths(path):
                for alert in by_area.get((version, above), ()):
                    start, end, _days = windows[alert.pk]
                    if start <= day <= end:
                        found[alert.pk]["rows"].append((key, gbv))
    return found


def previous_cell(previous: dict | None, *, without_gbv: bool) -> dict | None:
    """The previous period's count as a readers' cell (without GBV incidents below the protocol's level)."""
    if previous is None:
        return None
    rows = [(key, gbv) for key, gbv in previous["rows"] if not (without_gbv and gbv)]
    cell = Cell(len(rows), add_keys(0, *(int(key or 0) for key, _gbv in rows)))
    return {**previous, "cell": cell, "count": len(rows)}


def services_near(alerts: list) -> dict[int, dict]:
    """Active services of the directory per alert, by type: in the alert's area, or for a commune in its
    cercle (a referral pathway is organised by cercle). One query for all the alerts."""
    from sentinelle.directory.models import Service
    from sentinelle.geography.models import AdminArea

    # A commune's cercle: its parent, read once for all the alerts.
    parents = AdminArea.objects.only("pcode", "name_fr", "level", "path", "version_id").in_bulk(
        {alert.area.parent_id for alert in alerts if alert.area.level > 2 and alert.area.parent_id}
    )
    targets = {
        alert.pk: parents.get(alert.area.parent_id, alert.area) if alert.area.level > 2 else alert.area
        for alert in alerts
    }
    if not targets:
        return {}
    condition = Q(pk__in=[])
    for area in {(a.version_id, a.path) for a in targets.values()}:
        condition |= Q(area__version_id=area[0], area__path__startswith=area[1])
    rows = list(
        Service.objects.filter(condition, status=ServiceStatus.ACTIVE, is_archived=False)
        .order_by()
        .values_list("service_type", "area__version_id", "area__path")
    )
    found = {}
    for pk, area in targets.items():
        counts: dict[str, int] = defaultdict(int)
        for service_type, version, path in rows:
            if version == area.version_id and path.startswith(area.path):
                counts[service_type] += 1
        found[pk] = {"counts": dict(counts), "area": area}
    return found
