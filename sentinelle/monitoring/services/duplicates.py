"""Probable duplicates between sources: detection, and the IMO's decision (link or dismiss).

The same event is often reported by several organisations or mechanisms (a monitor, the GBVIMS, the
MRM, the media). Two submitted incidents are proposed as the same event when they come from different
organisations or sources, happened in the same cercle within a few days, share a category and have
similar victim counts. Detection only ever reads a window: per cercle, the incidents whose start date
lies within the window around the new ones (indexes on area and date), never the whole table.

Linking makes the less reliable (then the later) report point at the canonical one (`duplicate_of`):
statistics count the canonical incident only. A dismissed pair is never proposed again.
"""

from __future__ import annotations

import datetime
import functools
import json
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import get_language, gettext, ngettext

from sentinelle.core.audit import audit_record
from sentinelle.core.figure_cache import figures_changed
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, has_perm, refuse
from sentinelle.geography.models import AdminArea
from sentinelle.monitoring.models import (
    Category,
    DuplicateCandidate,
    Incident,
    IncidentCategory,
    IncidentEvent,
    IncidentStatus,
)
from sentinelle.monitoring.rollups import incident_rollups_updating
from sentinelle.monitoring.services import _bulk

WINDOW_DAYS = 3
THRESHOLD = 0.65
# Victim counts weigh most: two attacks in one cercle the same week are common, with the same counts rare.
WEIGHTS = {"area": 0.15, "date": 0.25, "categories": 0.2, "victims": 0.4}
STATUSES = (IncidentStatus.SUBMITTED, IncidentStatus.VERIFIED)
CHUNK = 900  # ids per query, under SQLite's parameter limit
PAIR_CHUNK = 500  # new incidents per pairing query (with the ids of their cercle's areas)
FIELDS = (
    "id",
    "reference",
    "organisation_id",
    "source_mechanism",
    "reliability",
    "status",
    "date_start",
    "date_end",
    "date_reported",
    "area_id",
    "area__path",
    "area__version_id",
    "area__name_fr",
    "victims_total",
    "killed_total",
    "displaced_households",
)


@dataclass
class _Item:
    id: int
    reference: str
    organisation_id: int
    source_mechanism: str
    reliability: str
    status: str
    date_start: datetime.date
    date_end: datetime.date | None
    date_reported: datetime.date
    area_id: int
    area__path: str
    area__version_id: int
    area__name_fr: str
    victims_total: int
    killed_total: int
    displaced_households: int | None
    categories: set[str] = field(default_factory=set)

    @property
    def last_day(self) -> datetime.date:
        return self.date_end or self.date_start

    @property
    def cercle_path(self) -> str:
        return "/".join(self.area__path.split("/")[:3]) + "/"


def _load(incidents) -> list[_Item]:
    """The incidents with their categories, in one query (a row per incident and category)."""
    items: dict[int, _Item] = {}
    # The default order (latest first) decides which of two new reports is named first in the reasons.
    for *row, category in incidents.values_list(*FIELDS, "category_links__category"):
        item = items.get(row[0])
        if item is None:
            item = items[row[0]] = _Item(*row)  # FIELDS are _Item's fields, in order
        if category is not None:
            item.categories.add(category)
    return list(items.values())


def _similar(a: int, b: int) -> float:
    return 1.0 if a == b else 1 - abs(a - b) / max(a, b)


def _days_apart(a: _Item, b: _Item) -> int:
    return max(0, (b.date_start - a.last_day).days, (a.date_start - b.last_day).days)


def score_pair(a: _Item, b: _Item, *, min_score: float = 0.0) -> tuple[float, list[str]]:
    """Similarity in [0, 1] and its reasons (French); 0 when the pair cannot be the same event.

    Below `min_score` the reasons are not written (detection scores tens of thousands of pairs and
    keeps a few: the translated sentences were most of its time)."""
    different_source = a.organisation_id != b.organisation_id or a.source_mechanism != b.source_mechanism
    common = a.categories & b.categories
    gap = _days_apart(a, b)
    if not different_source or not common or gap > WINDOW_DAYS or a.cercle_path != b.cercle_path:
        return 0.0, []
    if common == {Category.GBV}:
        # One survivor each, no identity: counts cannot tell two survivors apart. GBVIMS handles a
        # survivor who reported elsewhere with the IR's "previously reported" answer instead.
        return 0.0, []
    if a.area_id == b.area_id:
        area_score = 1.0
    elif a.area__path.startswith(b.area__path) or b.area__path.startswith(a.area__path):
        area_score = 0.8
    else:
        area_score = 0.6
    date_score = 1 - gap / (WINDOW_DAYS + 1)
    category_score = len(common) / len(a.categories | b.categories)
    # Counts that both reports leave at zero say nothing: compare what they do report.
    similarities = []
    if a.victims_total or b.victims_total:
        similarities += [_similar(a.victims_total, b.victims_total), _similar(a.killed_total, b.killed_total)]
    households = a.displaced_households is not None and b.displaced_households is not None
    if households:
        similarities.append(_similar(a.displaced_households, b.displaced_households))
    victims_score = sum(similarities) / len(similarities) if similarities else 0.5
    score = round(
        WEIGHTS["area"] * area_score
        + WEIGHTS["date"] * date_score
        + WEIGHTS["categories"] * category_score
        + WEIGHTS["victims"] * victims_score,
        3,
    )
    if score < min_score:
        return score, []
    return score, _reasons(a, b, area_score, gap, common, households)


@functools.lru_cache(maxsize=8)
def _sentences(language: str) -> dict:
    """The reasons' sentences in `language`, translated once (a detection writes thousands of reasons)."""
    return {
        "same_area": gettext("Same area: %(area)s."),
        "contains": gettext("One area contains the other: %(a)s and %(b)s."),
        "neighbours": gettext("Neighbouring areas of the same cercle: %(a)s and %(b)s."),
        "same_dates": gettext("Same dates."),
        "apart": {
            gap: ngettext("Dates %(days)s day apart.", "Dates %(days)s days apart.", gap) % {"days": gap}
            for gap in range(1, WINDOW_DAYS + 1)
        },
        "categories": gettext("Common categories: %(categories)s."),
        "labels": {code: str(label) for code, label in Category.choices},
        "victims": gettext("Victims: %(a)s and %(b)s (killed: %(ka)s and %(kb)s)."),
        "households": gettext("Households displaced: %(a)s and %(b)s."),
        "organisations": gettext("Reported by two different organisations."),
        "sources": gettext("Reported through two different sources."),
    }


def _reasons(a: _Item, b: _Item, area_score: float, gap: int, common: set, households: bool) -> list[str]:
    text = _sentences(get_language())
    reasons = []
    if area_score == 1.0:
        reasons.append(text["same_area"] % {"area": a.area__name_fr})
    elif area_score == 0.8:
        reasons.append(text["contains"] % {"a": a.area__name_fr, "b": b.area__name_fr})
    else:
        reasons.append(text["neighbours"] % {"a": a.area__name_fr, "b": b.area__name_fr})
    reasons.append(text["same_dates"] if gap == 0 else text["apart"][gap])
    labels = ", ".join(text["labels"][c] for c in sorted(common))
    reasons.append(text["categories"] % {"categories": labels})
    if a.victims_total or b.victims_total:
        reasons.append(
            text["victims"]
            % {"a": a.victims_total, "b": b.victims_total, "ka": a.killed_total, "kb": b.killed_total}
        )
    if households:
        reasons.append(text["households"] % {"a": a.displaced_households, "b": b.displaced_households})
    if a.organisation_id != b.organisation_id:
        reasons.append(text["organisations"])
    else:
        reasons.append(text["sources"])
    return reasons


# --- Detection: candidate pairs in SQL, scored here ------------------------------------------------

# Statuses and windows are code constants, written into the SQL as literals so that the planner matches
# the partial index made for this query (Incident.Meta: monitoring_incident_window).
_STATUS_SQL = ", ".join(f"'{status}'" for status in STATUSES)


def _sql_dates():
    """(date plus days, days between two dates, greatest of two numbers) in this database's SQL."""
    if connection.vendor == "postgresql":
        return (lambda date, days: f"({date} + {days})"), (lambda a, b: f"({a} - {b})"), "GREATEST"
    # SQLite keeps dates as ISO text.
    return (
        (lambda date, days: f"date({date}, '{days:+d} days')"),
        (lambda a, b: f"(julianday({a}) - julianday({b}))"),
        "MAX",
    )


def _pairs_sql(new_count: int, area_count: int) -> str:
    """The new incidents (n) of one cercle against every counted incident (o) of its areas whose start
    lies in n's window, keeping only the pairs that score_pair could put at or above THRESHOLD: other
    organisation or source, a common category other than GBV alone, at most WINDOW_DAYS apart, and a
    score bound (area at best 0.8 unless the same, categories at best all in common) reaching it.
    Necessary conditions only: score_pair decides."""
    plus, between, greatest = _sql_dates()
    n_last, o_last = "COALESCE(n.date_end, n.date_start)", "COALESCE(o.date_end, o.date_start)"
    gap = f"{greatest}(0, {between('o.date_start', n_last)}, {between('n.date_start', o_last)})"

    def similar(column: str) -> str:
        a, b = f"n.{column}", f"o.{column}"
        return f"(CASE WHEN {a} = {b} THEN 1.0 ELSE 1.0 - ABS({a} - {b}) * 1.0 / {greatest}({a}, {b}) END)"

    households = "n.displaced_households IS NOT NULL AND o.displaced_households IS NOT NULL"
    victims = (
        f"CASE WHEN n.victims_total > 0 OR o.victims_total > 0 THEN "
        f"({similar('victims_total')} + {similar('killed_total')}"
        f" + CASE WHEN {households} THEN {similar('displaced_households')} ELSE 0 END)"
        f" / (CASE WHEN {households} THEN 3.0 ELSE 2.0 END) "
        f"WHEN {households} THEN {similar('displaced_households')} ELSE 0.5 END"
    )
    bound = (
        f"{WEIGHTS['area']} * (CASE WHEN o.area_id = n.area_id THEN 1.0 ELSE 0.8 END)"
        f" + {WEIGHTS['date']} * (1.0 - {gap} / {WINDOW_DAYS + 1}.0)"
        f" + {WEIGHTS['categories']} + {WEIGHTS['victims']} * ({victims})"
    )
    incidents, categories = Incident._meta.db_table, IncidentCategory._meta.db_table
    new_marks = ", ".join(["%s"] * new_count)
    area_marks = ", ".join(["%s"] * area_count)
    # Periods longer than the window start before it: they are caught from their own side (as ever).
    return f"""
        SELECT n.id, o.id
        FROM {incidents} n
        JOIN {incidents} o
          ON o.area_id IN ({area_marks})
         AND o.date_start BETWEEN {plus("n.date_start", -2 * WINDOW_DAYS)} AND {plus(n_last, WINDOW_DAYS)}
         AND o.status IN ({_STATUS_SQL}) AND o.duplicate_of_id IS NULL
        WHERE n.id IN ({new_marks})
          AND o.id <> n.id
          AND (o.organisation_id <> n.organisation_id OR o.source_mechanism <> n.source_mechanism)
          AND n.date_start <= {plus(o_last, WINDOW_DAYS)}
          AND EXISTS (
            SELECT 1 FROM {categories} cn
            JOIN {categories} co ON co.incident_id = o.id AND co.category = cn.category
            WHERE cn.incident_id = n.id AND cn.category <> %s
          )
          AND {bound} >= %s
    """  # noqa: S608 (no value is formatted in: constants and placeholders only)


def _cercle_areas(keys) -> dict[tuple[int, str], list[int]]:
    """The ids of the areas of each (version, cercle path), from one query."""
    paths = Q()
    for version_id, cercle_path in keys:
        paths |= Q(version_id=version_id, path__startswith=cercle_path)
    areas: dict[tuple[int, str], list[int]] = defaultdict(list)
    for pk, version_id, path in (
        AdminArea.objects.filter(paths).order_by().values_list("pk", "version_id", "path")
    ):
        for key in keys:
            if key[0] == version_id and path.startswith(key[1]):
                areas[key].append(pk)
    return areas


def candidate_pairs(items: list[_Item], area_ids: list[int]) -> list[tuple[int, int]]:
    """(new id, other id) for the new `items` of one cercle against the incidents of its areas."""
    found: list[tuple[int, int]] = []
    if not area_ids:
        return found
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The planner's estimate for a join on a few areas is pessimistic: compiling the query
            # (JIT) would cost a hundred times its run.
            cursor.execute("SET LOCAL jit = off")
        for start in range(0, len(items), PAIR_CHUNK):
            ids = [item.id for item in items[start : start + PAIR_CHUNK]]
            cursor.execute(
                _pairs_sql(len(ids), len(area_ids)),
                [*area_ids, *ids, Category.GBV, round(THRESHOLD - 0.001, 3)],
            )
            found += cursor.fetchall()
    return found


def duplicates_detect(*, incident_ids) -> list[DuplicateCandidate]:
    """Propose the probable duplicates of these incidents; pairs already decided are left alone.

    Per cercle, one query pairs the new incidents with the incidents of their windows (indexes on area
    and date) and keeps the pairs that may reach the threshold; only those are scored here, with the
    reasons, and the new candidates are written in one go.
    """
    ids = list(incident_ids)
    new: list[_Item] = []
    for start in range(0, len(ids), CHUNK):
        new += _load(
            Incident.objects.filter(
                pk__in_ids=ids[start : start + CHUNK], status__in=STATUSES, duplicate_of__isnull=True
            )
        )
    by_cercle: dict[tuple[int, str], list[_Item]] = defaultdict(list)
    for item in new:
        by_cercle[(item.area__version_id, item.cercle_path)].append(item)
    areas = _cercle_areas(list(by_cercle)) if by_cercle else {}
    # Of two new reports, the one loaded first is named first in the reasons (as the pairwise reading did).
    position = {item.id: index for index, item in enumerate(new)}
    oriented: dict[tuple[int, int], tuple[int, int]] = {}
    for key, items in by_cercle.items():
        for first, other in candidate_pairs(items, areas.get(key, [])):
            pair = (min(first, other), max(first, other))
            seen = oriented.get(pair)
            if seen is None or position[first] < position[seen[0]]:
                oriented[pair] = (first, other)
    known = {item.id: item for item in new}
    missing = sorted({other for _first, other in oriented.values() if other not in known})
    for start in range(0, len(missing), CHUNK):
        for item in _load(Incident.objects.filter(pk__in_ids=missing[start : start + CHUNK])):
            known[item.id] = item
    pairs: dict[tuple[int, int], tuple[float, list[str]]] = {}
    with translation.override(settings.LANGUAGE_CODE):
        for key, (first, other) in oriented.items():
            score, reasons = score_pair(known[first], known[other], min_score=THRESHOLD)
            if score >= THRESHOLD:
                pairs[key] = (score, reasons)
    # An existing pair (pending, linked or dismissed) is never proposed again.
    new_pairs = sorted(set(pairs) - _existing_pairs(pairs))
    now = timezone.now()
    _insert_candidates([(*pair, *pairs[pair], now) for pair in new_pairs])
    # The candidates written, built from what was just written (their ids read back).
    values = {pair: pairs[pair] for pair in new_pairs}
    found = []
    for pk, first, second in _candidate_ids(values):
        score, reasons = values[first, second]
        candidate = DuplicateCandidate(
            pk=pk, first_id=first, second_id=second, score=score, reasons=reasons, created_at=now
        )
        candidate._state.adding, candidate._state.db = False, connection.alias
        found.append(candidate)
    return sorted(found, key=lambda c: (-c.score, c.pk))


def _insert_candidates(rows: list[tuple]) -> None:
    """Write the new candidates (first, second, score, reasons, created_at) with one prepared INSERT;
    a pair a concurrent detection has just proposed is skipped (ON CONFLICT DO NOTHING)."""
    if not rows:
        return
    pending = DuplicateCandidate.Status.PENDING.value
    if connection.vendor == "postgresql":
        # The rows as four arrays: one statement whatever their number (an import of 10,000 reports may
        # propose 70,000 pairs: 5 s row by row, a fraction of a second this way).
        table = connection.ops.quote_name(DuplicateCandidate._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (first_id, second_id, score, reasons, created_at, status) "  # noqa: S608
                "SELECT f, s, sc, r::jsonb, %s, %s "
                "FROM unnest(%s::bigint[], %s::bigint[], %s::float8[], %s::text[]) AS t(f, s, sc, r) "
                "ON CONFLICT DO NOTHING",
                [
                    rows[0][4],
                    pending,
                    [row[0] for row in rows],
                    [row[1] for row in rows],
                    [row[2] for row in rows],
                    [json.dumps(row[3]) for row in rows],
                ],
            )
        return
    columns = ["first_id", "second_id", "score", "reasons", "created_at", "status"]
    reasons, created_at = (
        DuplicateCandidate._meta.get_field("reasons"),
        DuplicateCandidate._meta.get_field("created_at"),
    )
    sql = _bulk.insert_sql(DuplicateCandidate, columns) + " ON CONFLICT DO NOTHING"
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [
                (
                    first,
                    second,
                    score,
                    _bulk.db_value(reasons, texts),
                    _bulk.db_value(created_at, at),
                    pending,
                )
                for first, second, score, texts, at in rows
            ],
        )


def _candidate_ids(pairs) -> list[tuple[int, int, int]]:
    """(id, first, second) of the candidates of these pairs."""
    firsts = sorted({first for first, _second in pairs})
    found = []
    for start in range(0, len(firsts), CHUNK):
        found += (
            DuplicateCandidate.objects.filter(first_id__in_ids=firsts[start : start + CHUNK])
            .order_by()
            .values_list("pk", "first_id", "second_id")
        )
    return [row for row in found if (row[1], row[2]) in pairs]


def _existing_pairs(pairs) -> set[tuple[int, int]]:
    return {(first, second) for _pk, first, second in _candidate_ids(set(pairs))}


# --- The IMO's decision -------------------------------------------------------------------------


def _require_review(actor, candidate, request) -> None:
    if not has_perm(actor, Perm.DUPLICATE_REVIEW):
        refuse(
            actor,
            Perm.DUPLICATE_REVIEW,
            message=gettext("You are not allowed to review possible duplicates."),
            object_type="monitoring.duplicatecandidate",
            object_id=str(candidate.pk),
            request=request,
        )


def _root(incident: Incident) -> Incident:
    seen = set()
    while incident.duplicate_of_id is not None and incident.pk not in seen:
        seen.add(incident.pk)
        incident = Incident.objects.get(pk=incident.duplicate_of_id)
    return incident


def canonical_of(a: Incident, b: Incident) -> Incident:
    """The report that stays counted: most reliable source, then verified, then reported first."""

    def rank(incident: Incident):
        return (
            incident.reliability,  # "a" (reliable) sorts before "f" (cannot be judged)
            incident.status != IncidentStatus.VERIFIED,
            incident.date_reported,
            incident.pk,
        )

    return min(a, b, key=rank)


def _locked_pending(candidate: DuplicateCandidate) -> DuplicateCandidate:
    locked = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
    if locked.status != DuplicateCandidate.Status.PENDING:
        raise ValidationError(
            gettext("This possible duplicate was already reviewed (%(status)s).")
            % {"status": DuplicateCandidate.Status(locked.status).label}
        )
    return locked


def _decide(candidate: DuplicateCandidate, locked: DuplicateCandidate, status, actor, now) -> None:
    locked.status = status
    locked.reviewed_at = now
    locked.reviewed_by = actor
    locked.save(update_fields=["status", "reviewed_at", "reviewed_by"])
    candidate.status, candidate.reviewed_at, candidate.reviewed_by = status, now, actor


def duplicate_link(*, actor, candidate: DuplicateCandidate, canonical: Incident | None = None, request=None):
    """Link the pair as one event; returns the canonical incident (`canonical` chosen by the IMO, or
    the most reliable). Earlier links are followed so that every duplicate points at one root."""
    _require_review(actor, candidate, request)
    now = timezone.now()
    with transaction.atomic():
        locked = _locked_pending(candidate)
        first = Incident.objects.select_for_update().get(pk=locked.first_id)
        second = Incident.objects.select_for_update().get(pk=locked.second_id)
        roots = (_root(first), _root(second))
        if canonical is not None and canonical.pk not in (first.pk, second.pk):
            raise ValidationError(gettext("The incident kept must be one of the pair."))
        keep = canonical_of(*roots) if canonical is None else _root(canonical)
        other = roots[1] if keep.pk == roots[0].pk else roots[0]
        if other.pk != keep.pk:
            other.duplicate_of = keep
            with incident_rollups_updating(incident_ids=[other.pk]):  # no longer counted
                other.save(update_fields=["duplicate_of", "updated_at"])
            # Reports already linked to the other one follow it to the canonical incident.
            Incident.objects.filter(duplicate_of=other).update(duplicate_of=keep)
            IncidentEvent.objects.bulk_create(
                [
                    IncidentEvent(
                        incident=other,
                        kind=IncidentEvent.Kind.LINKED,
                        user=actor,
                        at=now,
                        changes={"duplicate_of": [None, keep.reference]},
                        note=gettext("Same event as %(reference)s, which is counted.")
                        % {"reference": keep.reference},
                    ),
                    IncidentEvent(
                        incident=keep,
                        kind=IncidentEvent.Kind.LINKED,
                        user=actor,
                        at=now,
                        note=gettext("%(reference)s reports the same event; it is no longer counted.")
                        % {"reference": other.reference},
                    ),
                ]
            )
        _decide(candidate, locked, DuplicateCandidate.Status.LINKED, actor, now)
        audit_record(
            action=AuditAction.UPDATE,
            user=actor,
            object_type="monitoring.duplicatecandidate",
            object_id=str(locked.pk),
            request=request,
            detail={"decision": "linked", "canonical": keep.reference, "duplicate": other.reference},
        )
        figures_changed("monitoring")
    return keep


def duplicate_dismiss(*, actor, candidate: DuplicateCandidate, request=None) -> DuplicateCandidate:
    """Different events: the pair is kept apart and never proposed again."""
    _require_review(actor, candidate, request)
    now = timezone.now()
    with transaction.atomic():
        locked = _locked_pending(candidate)
        _decide(candidate, locked, DuplicateCandidate.Status.DISMISSED, actor, now)
        audit_record(
            action=AuditAction.UPDATE,
            user=actor,
            object_type="monitoring.duplicatecandidate",
            object_id=str(locked.pk),
            request=request,
            detail={"decision": "dismissed"},
        )
    return candidate
