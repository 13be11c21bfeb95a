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
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from sentinelle.core.audit import audit_record
from sentinelle.core.figure_cache import figures_changed
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, has_perm, refuse
from sentinelle.geography.models import AdminArea
from sentinelle.monitoring.models import (
    Category,
    DuplicateCandidate,
    Incident,
    IncidentEvent,
    IncidentStatus,
)

WINDOW_DAYS = 3
THRESHOLD = 0.65
# Victim counts weigh most: two attacks in one cercle the same week are common, with the same counts rare.
WEIGHTS = {"area": 0.15, "date": 0.25, "categories": 0.2, "victims": 0.4}
STATUSES = (IncidentStatus.SUBMITTED, IncidentStatus.VERIFIED)
CHUNK = 900  # ids per query, under SQLite's parameter limit
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


def _reasons(a: _Item, b: _Item, area_score: float, gap: int, common: set, households: bool) -> list[str]:
    reasons = []
    if area_score == 1.0:
        reasons.append(gettext("Same area: %(area)s.") % {"area": a.area__name_fr})
    elif area_score == 0.8:
        reasons.append(
            gettext("One area contains the other: %(a)s and %(b)s.")
            % {"a": a.area__name_fr, "b": b.area__name_fr}
        )
    else:
        reasons.append(
            gettext("Neighbouring areas of the same cercle: %(a)s and %(b)s.")
            % {"a": a.area__name_fr, "b": b.area__name_fr}
        )
    if gap == 0:
        reasons.append(gettext("Same dates."))
    else:
        reasons.append(
            ngettext("Dates %(days)s day apart.", "Dates %(days)s days apart.", gap) % {"days": gap}
        )
    reasons.append(
        gettext("Common categories: %(categories)s.")
        % {"categories": ", ".join(str(Category(c).label) for c in sorted(common))}
    )
    if a.victims_total or b.victims_total:
        reasons.append(
            gettext("Victims: %(a)s and %(b)s (killed: %(ka)s and %(kb)s).")
            % {"a": a.victims_total, "b": b.victims_total, "ka": a.killed_total, "kb": b.killed_total}
        )
    if households:
        reasons.append(
            gettext("Households displaced: %(a)s and %(b)s.")
            % {"a": a.displaced_households, "b": b.displaced_households}
        )
    if a.organisation_id != b.organisation_id:
        reasons.append(gettext("Reported by two different organisations."))
    else:
        reasons.append(gettext("Reported through two different sources."))
    return reasons


# New incidents of one cercle less than this apart are read with one query (fewer, slightly wider reads).
MERGE_GAP = datetime.timedelta(days=30)


def _date_ranges(items: list[_Item]) -> list[tuple[datetime.date, datetime.date]]:
    """The new incidents' dates merged into windows, so that one query covers a cluster of them."""
    window = datetime.timedelta(days=WINDOW_DAYS)
    ranges: list[list[datetime.date]] = []
    for item in sorted(items, key=lambda i: i.date_start):
        low, high = item.date_start - window, item.last_day + window
        if ranges and low <= ranges[-1][1] + MERGE_GAP:
            ranges[-1][1] = max(ranges[-1][1], high)
        else:
            ranges.append([low, high])
    return [(low, high) for low, high in ranges]


def _compare(items, low, high, window: list[_Item], pairs: dict) -> None:
    """Score each new incident of [low, high] against the incidents of its window (sorted by date)."""
    window.sort(key=lambda i: i.date_start)
    starts = [i.date_start for i in window]
    for item in items:
        if not low <= item.date_start <= high:
            continue
        left = bisect_left(starts, item.date_start - datetime.timedelta(days=WINDOW_DAYS * 2))
        right = bisect_right(starts, item.last_day + datetime.timedelta(days=WINDOW_DAYS))
        for other in window[left:right]:
            key = (min(item.id, other.id), max(item.id, other.id))
            if other.id == item.id or key in pairs:
                continue
            score, reasons = score_pair(item, other, min_score=THRESHOLD)
            if score >= THRESHOLD:
                pairs[key] = (score, reasons)


def duplicates_detect(*, incident_ids) -> list[DuplicateCandidate]:
    """Propose the probable duplicates of these incidents; pairs already decided are left alone."""
    ids = list(incident_ids)
    new: list[_Item] = []
    for start in range(0, len(ids), CHUNK):
        new += _load(
            Incident.objects.filter(
                pk__in=ids[start : start + CHUNK], status__in=STATUSES, duplicate_of__isnull=True
            )
        )
    by_cercle: dict[tuple[int, str], list[_Item]] = defaultdict(list)
    for item in new:
        by_cercle[(item.area__version_id, item.cercle_path)].append(item)
    pairs: dict[tuple[int, int], tuple[float, list[str]]] = {}
    with translation.override(settings.LANGUAGE_CODE):
        for (version_id, cercle_path), items in by_cercle.items():
            areas = AdminArea.objects.filter(version_id=version_id, path__startswith=cercle_path)
            windows = [
                (
                    low,
                    high,
                    # Periods longer than the window start before it: they are caught from their own side.
                    _load(
                        Incident.objects.filter(
                            area__in=areas,
                            date_start__range=(low - datetime.timedelta(days=WINDOW_DAYS), high),
                            status__in=STATUSES,
                            duplicate_of__isnull=True,
                        ),
                    ),
                )
                for low, high in _date_ranges(items)
            ]
            for low, high, window in windows:
                _compare(items, low, high, window, pairs)
    # An existing pair (pending, linked or dismissed) is never proposed again.
    new_pairs = set(pairs) - _existing_pairs(pairs)
    DuplicateCandidate.objects.bulk_create(
        [
            DuplicateCandidate(
                first_id=first,
                second_id=second,
                score=pairs[first, second][0],
                reasons=pairs[first, second][1],
            )
            for first, second in sorted(new_pairs)
        ],
        ignore_conflicts=True,  # a concurrent detection may have proposed the same pair
        batch_size=500,
    )
    return [c for c in _candidates_of(new_pairs) if (c.first_id, c.second_id) in new_pairs]


def _candidates_of(pairs) -> list[DuplicateCandidate]:
    firsts = sorted({first for first, _second in pairs})
    found = []
    for start in range(0, len(firsts), CHUNK):
        found += DuplicateCandidate.objects.filter(first_id__in=firsts[start : start + CHUNK]).order_by(
            "-score", "pk"
        )
    return [c for c in found if (c.first_id, c.second_id) in pairs]


def _existing_pairs(pairs) -> set[tuple[int, int]]:
    return {(c.first_id, c.second_id) for c in _candidates_of(set(pairs))}


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
