"""Probable duplicates between sources: detection, and the IMO's decision (link or dismiss).

The same event is often reported by several organisations or mechanisms (a monitor, the GBVIMS, the
MRM, the media). Two submitted incidents are proposed as the same event when they come from different
organisations or sources, happened in the same cercle within a few days, share a category other than GBV
alone and have similar victim counts. Their similarity in [0, 1] weighs (WEIGHTS):
  - area: 1 the same, 0.8 when one contains the other, 0.6 two areas of the cercle;
  - dates: 1 - (days between them) / (WINDOW_DAYS + 1), pairs more than WINDOW_DAYS apart excluded;
  - categories: those in common over those of either;
  - victims: the mean of the similarities (1 - |a - b| / max(a, b)) of the victims, the killed and,
    when both give them, the households displaced; only the households when neither reports victims;
    0.5 when neither reports anything;
rounded to 3 decimals, halves up; pairs at or above THRESHOLD are proposed. GBV alone is never enough
(one survivor each, no identity: GBVIMS handles a survivor who reported elsewhere with the IR's
"previously reported").

Detection is set-based: per cercle, one INSERT ... SELECT pairs the new incidents with the counted
incidents of their window (indexes on area and date, never the whole table), scores every pair in SQL
and writes those at the threshold; a pair already there (pending, linked or dismissed) is left alone by
the unique pair. Nothing goes through Python per pair; the reasons are said when the pair is read
(selectors/duplicates.py), in the reader's language.

Linking makes the less reliable (then the later) report point at the canonical one (`duplicate_of`):
statistics count the canonical incident only. A dismissed pair is never proposed again.
"""

from __future__ import annotations

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

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
from sentinelle.monitoring.selectors.duplicates import cercle_path
from sentinelle.monitoring.services import _bulk

WINDOW_DAYS = 3
THRESHOLD = 0.65
# Victim counts weigh most: two attacks in one cercle the same week are common, with the same counts rare.
WEIGHTS = {"area": 0.15, "date": 0.25, "categories": 0.2, "victims": 0.4}
TIE_UP = 1e-9  # see _score_sql
BOUND = round(THRESHOLD - 0.001, 3)  # what `_bound_sql` must reach (the score is rounded)
STATUSES = (IncidentStatus.SUBMITTED, IncidentStatus.VERIFIED)
CHUNK = 900  # ids per query, under SQLite's parameter limit
PAIR_CHUNK = 500  # new incidents per pairing statement (with the ids of their cercle's areas)
# --- Detection: pairs found, scored and written in SQL -------------------------------------------

# Statuses and windows are code constants, written into the SQL as literals so that the planner matches
# the partial index made for this query (Incident.Meta: monitoring_pair_window).
_STATUS_SQL = ", ".join(f"'{status}'" for status in STATUSES)


def _sql_functions():
    """(date plus days, days between two dates, greatest of two numbers, rounding to 3 decimals) in this
    database's SQL."""
    if connection.vendor == "postgresql":
        return (
            (lambda date, days: f"({date} + {days})"),
            (lambda a, b: f"({a} - {b})"),
            "GREATEST",
            (lambda value: f"ROUND(CAST({value} AS NUMERIC), 3)"),
        )
    # SQLite keeps dates as ISO text.
    return (
        (lambda date, days: f"date({date}, '{days:+d} days')"),
        (lambda a, b: f"(julianday({a}) - julianday({b}))"),
        "MAX",
        (lambda value: f"ROUND({value}, 3)"),
    )


def _pair_terms() -> dict[str, str]:
    """SQL of the pair (n, o) of `_insert_sql`: its gap in days, and its area and victims scores."""
    _plus, between, greatest, _round = _sql_functions()
    n_last, o_last = "COALESCE(n.date_end, n.date_start)", "COALESCE(o.date_end, o.date_start)"

    def similar(column: str) -> str:
        a, b = f"n.{column}", f"o.{column}"
        return f"(CASE WHEN {a} = {b} THEN 1.0 ELSE 1.0 - ABS({a} - {b}) * 1.0 / {greatest}({a}, {b}) END)"

    households = "n.displaced_households IS NOT NULL AND o.displaced_households IS NOT NULL"
    return {
        "gap": f"{greatest}(0, {between('o.date_start', n_last)}, {between('n.date_start', o_last)})",
        "victims": (
            f"CASE WHEN n.victims_total > 0 OR o.victims_total > 0 THEN "
            f"({similar('victims_total')} + {similar('killed_total')}"
            f" + CASE WHEN {households} THEN {similar('displaced_households')} ELSE 0 END)"
            f" / (CASE WHEN {households} THEN 3.0 ELSE 2.0 END) "
            f"WHEN {households} THEN {similar('displaced_households')} ELSE 0.5 END"
        ),
        "area": (
            "CASE WHEN o.area_id = n.area_id THEN 1.0"
            " WHEN substr(na.path, 1, length(oa.path)) = oa.path"
            " OR substr(oa.path, 1, length(na.path)) = na.path THEN 0.8 ELSE 0.6 END"
        ),
    }


def _bound_sql() -> str:
    """A bound of the score without the categories' subqueries (all in common, the area at best 0.8
    unless the same): a pair below it cannot reach the threshold, and is dropped before they run."""
    terms = _pair_terms()
    return (
        f"{WEIGHTS['area']} * (CASE WHEN o.area_id = n.area_id THEN 1.0 ELSE 0.8 END)"
        f" + {WEIGHTS['date']} * (1.0 - {terms['gap']} / {WINDOW_DAYS + 1}.0)"
        f" + {WEIGHTS['categories']} + {WEIGHTS['victims']} * ({terms['victims']})"
    )


def _score_sql() -> str:
    """The similarity of the pair (n, o) of `_insert_sql`, as the module docstring defines it."""
    round_3 = _sql_functions()[3]
    terms = _pair_terms()
    categories = IncidentCategory._meta.db_table
    common = (
        f"(SELECT COUNT(*) FROM {categories} cn JOIN {categories} co"  # noqa: S608 (a table name)
        " ON co.incident_id = o.id AND co.category = cn.category WHERE cn.incident_id = n.id)"
    )
    n_count = f"(SELECT COUNT(*) FROM {categories} c WHERE c.incident_id = n.id)"  # noqa: S608
    o_count = f"(SELECT COUNT(*) FROM {categories} c WHERE c.incident_id = o.id)"  # noqa: S608
    category_score = f"({common} * 1.0 / ({n_count} + {o_count} - {common}))"
    # Exact halves (0.6575) come out of floating point a hair either side of the half, by the order of
    # the operations: a billionth added sends them up whatever computes it (no score of these small
    # fractions lies within a billionth of a half otherwise).
    return round_3(
        f"{TIE_UP} + {WEIGHTS['area']} * ({terms['area']})"
        f" + {WEIGHTS['date']} * (1.0 - {terms['gap']} / {WINDOW_DAYS + 1}.0)"
        f" + {WEIGHTS['categories']} * {category_score}"
        f" + {WEIGHTS['victims']} * ({terms['victims']})"
    )


def _insert_sql(new_count: int, area_count: int) -> str:
    """Propose the pairs of the new incidents (n) of one cercle with every counted incident (o) of its
    areas whose start lies in n's window: other organisation or source, at most WINDOW_DAYS apart, a
    common category other than GBV, a score at or above the threshold. A pair of two new incidents is
    found from both sides: written once (DISTINCT, the score is symmetric). Returns the pairs written."""
    plus, _between, _greatest, _round = _sql_functions()
    n_last, o_last = "COALESCE(n.date_end, n.date_start)", "COALESCE(o.date_end, o.date_start)"
    incidents, categories = Incident._meta.db_table, IncidentCategory._meta.db_table
    areas, candidates = AdminArea._meta.db_table, DuplicateCandidate._meta.db_table
    new_marks = ", ".join(["%s"] * new_count)
    area_marks = ", ".join(["%s"] * area_count)
    # Periods longer than the window start before it: they are caught from their own side (as ever).
    pairs = f"""
        SELECT DISTINCT
          CASE WHEN n.id < o.id THEN n.id ELSE o.id END AS first_id,
          CASE WHEN n.id < o.id THEN o.id ELSE n.id END AS second_id,
          {_score_sql()} AS score
        FROM {incidents} n
        JOIN {incidents} o
          ON o.area_id IN ({area_marks})
         AND o.date_start BETWEEN {plus("n.date_start", -2 * WINDOW_DAYS)} AND {plus(n_last, WINDOW_DAYS)}
         AND o.status IN ({_STATUS_SQL}) AND o.duplicate_of_id IS NULL
        JOIN {areas} na ON na.id = n.area_id
        JOIN {areas} oa ON oa.id = o.area_id
        WHERE n.id IN ({new_marks})
          AND o.id <> n.id
          AND (o.organisation_id <> n.organisation_id OR o.source_mechanism <> n.source_mechanism)
          AND n.date_start <= {plus(o_last, WINDOW_DAYS)}
          AND {_bound_sql()} >= %s
          AND EXISTS (
            SELECT 1 FROM {categories} cn
            JOIN {categories} co ON co.incident_id = o.id AND co.category = cn.category
            WHERE cn.incident_id = n.id AND cn.category <> %s
          )
    """  # noqa: S608 (no value is formatted in: constants and placeholders only)
    # "WHERE": SQLite reads ON CONFLICT after a bare SELECT ... FROM as a join's ON.
    return f"""
        INSERT INTO {candidates} (first_id, second_id, score, created_at, status)
        SELECT p.first_id, p.second_id, p.score, %s, %s FROM ({pairs}) p
        WHERE p.score >= %s
        ON CONFLICT DO NOTHING
        RETURNING id, first_id, second_id, score
    """  # noqa: S608 (no value is formatted in: constants and placeholders only)


def _cercle_areas(keys) -> dict[tuple[int, str], list[int]]:
    """The ids of the areas of each (version, cercle path), from one query."""
    paths = Q()
    for version_id, cercle in keys:
        paths |= Q(version_id=version_id, path__startswith=cercle)
    areas: dict[tuple[int, str], list[int]] = defaultdict(list)
    for pk, version_id, path in (
        AdminArea.objects.filter(paths).order_by().values_list("pk", "version_id", "path")
    ):
        for key in keys:
            if key[0] == version_id and path.startswith(key[1]):
                areas[key].append(pk)
    return areas


def duplicates_detect(*, incident_ids) -> list[DuplicateCandidate]:
    """Propose the probable duplicates of these incidents; pairs already there are left alone. Returns
    the new candidates, best first (their reasons are said when read: selectors/duplicates.py)."""
    ids = sorted({int(pk) for pk in incident_ids})
    by_cercle: dict[tuple[int, str], list[int]] = defaultdict(list)
    for start in range(0, len(ids), CHUNK):
        rows = Incident.objects.filter(
            pk__in_ids=ids[start : start + CHUNK], status__in=STATUSES, duplicate_of__isnull=True
        )
        for pk, version_id, path in rows.order_by().values_list("pk", "area__version_id", "area__path"):
            by_cercle[(version_id, cercle_path(path))].append(pk)
    if not by_cercle:
        return []
    areas = _cercle_areas(list(by_cercle))
    now = timezone.now()
    created_at = _bulk.db_value(DuplicateCandidate._meta.get_field("created_at"), now)
    pending = DuplicateCandidate.Status.PENDING.value
    written = []
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The planner's estimate for a join on a few areas is pessimistic: compiling the query
            # (JIT) would cost a hundred times its run.
            cursor.execute("SET LOCAL jit = off")
        for key, new in by_cercle.items():
            area_ids = areas.get(key, [])
            for start in range(0, len(new), PAIR_CHUNK) if area_ids else ():
                chunk = new[start : start + PAIR_CHUNK]
                cursor.execute(
                    _insert_sql(len(chunk), len(area_ids)),
                    [created_at, pending, *area_ids, *chunk, BOUND, Category.GBV, THRESHOLD],
                )
                written += cursor.fetchall()
    found = []
    for pk, first, second, score in written:
        candidate = DuplicateCandidate(
            pk=pk, first_id=first, second_id=second, score=float(score), created_at=now, status=pending
        )
        candidate._state.adding, candidate._state.db = False, connection.alias
        found.append(candidate)
    return sorted(found, key=lambda c: (-c.score, c.pk))


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
