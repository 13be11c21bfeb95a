"""Possible duplicates as the IMO reads them: the pairs in the user's scope, each with its reasons.

The reasons are not stored: they are said from the two incidents as they are when the pair is read, in the
reader's language (as the tracing matches' reasons are), with the rules the detection scored them by
(services/duplicates.py: same area or one containing the other, days apart, categories in common, victims
and households compared, two organisations or two sources).
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import get_language, gettext, ngettext

from sentinelle.core.permissions import Perm, has_perm, scope_queryset
from sentinelle.geography.paths import path_at_level
from sentinelle.monitoring.models import Category, DuplicateCandidate, Incident

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
class PairItem:
    """What a pair's comparison reads of an incident (FIELDS, in order, then its categories)."""

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
        return cercle_path(self.area__path)


def cercle_path(path: str) -> str:
    """The path of the cercle an area path lies in ("ML/ML05/ML0501/" for "ML/ML05/ML0501/ML050101/")."""
    return path_at_level(path, 2)


def pair_items(incidents: QuerySet) -> list[PairItem]:
    """The incidents with their categories, in one query (a row per incident and category)."""
    items: dict[int, PairItem] = {}
    for *row, category in incidents.values_list(*FIELDS, "category_links__category"):
        item = items.get(row[0])
        if item is None:
            item = items[row[0]] = PairItem(*row)  # FIELDS are PairItem's fields, in order
        if category is not None:
            item.categories.add(category)
    return list(items.values())


def days_apart(a: PairItem, b: PairItem) -> int:
    return max(0, (b.date_start - a.last_day).days, (a.date_start - b.last_day).days)


def area_relation(a: PairItem, b: PairItem) -> str:
    """How the areas stand: "same", "contains" (one holds the other) or "neighbours" (of one cercle)."""
    if a.area_id == b.area_id:
        return "same"
    if a.area__path.startswith(b.area__path) or b.area__path.startswith(a.area__path):
        return "contains"
    return "neighbours"


def both_count_households(a: PairItem, b: PairItem) -> bool:
    return a.displaced_households is not None and b.displaced_households is not None


@functools.lru_cache(maxsize=8)
def _sentences(language: str) -> dict:
    """The reasons' sentences in `language`, translated once per language and process."""
    return {
        "same": gettext("Same area: %(area)s."),
        "contains": gettext("One area contains the other: %(a)s and %(b)s."),
        "neighbours": gettext("Neighbouring areas of the same cercle: %(a)s and %(b)s."),
        "same_dates": gettext("Same dates."),
        "categories": gettext("Common categories: %(categories)s."),
        "labels": {code: str(label) for code, label in Category.choices},
        "victims": gettext("Victims: %(a)s and %(b)s (killed: %(ka)s and %(kb)s)."),
        "households": gettext("Households displaced: %(a)s and %(b)s."),
        "organisations": gettext("Reported by two different organisations."),
        "sources": gettext("Reported through two different sources."),
    }


def pair_reasons(a: PairItem, b: PairItem) -> list[str]:
    """Why the two reports may be the same event, in the active language."""
    text = _sentences(get_language())
    relation = area_relation(a, b)
    if relation == "same":
        reasons = [text["same"] % {"area": a.area__name_fr}]
    else:
        reasons = [text[relation] % {"a": a.area__name_fr, "b": b.area__name_fr}]
    gap = days_apart(a, b)
    if gap == 0:
        reasons.append(text["same_dates"])
    else:
        apart = ngettext("Dates %(days)s day apart.", "Dates %(days)s days apart.", gap)
        reasons.append(apart % {"days": gap})
    common = a.categories & b.categories
    if common:
        labels = ", ".join(text["labels"].get(code, code) for code in sorted(common))
        reasons.append(text["categories"] % {"categories": labels})
    if a.victims_total or b.victims_total:
        reasons.append(
            text["victims"]
            % {"a": a.victims_total, "b": b.victims_total, "ka": a.killed_total, "kb": b.killed_total}
        )
    if both_count_households(a, b):
        reasons.append(text["households"] % {"a": a.displaced_households, "b": b.displaced_households})
    reasons.append(text["organisations"] if a.organisation_id != b.organisation_id else text["sources"])
    return reasons


def duplicate_candidates(*, user, status: str = "pending") -> QuerySet:
    """Possible duplicates to review (the IMO); nobody else gets any."""
    if not has_perm(user, Perm.DUPLICATE_REVIEW):
        return DuplicateCandidate.objects.none()
    candidates = scope_queryset(user, DuplicateCandidate.objects.all(), Perm.DUPLICATE_REVIEW)
    if status:
        candidates = candidates.filter(status=status)
    related = ("area", "organisation")
    return candidates.select_related(
        "first",
        "second",
        "reviewed_by",
        *(f"first__{name}" for name in related),
        *(f"second__{name}" for name in related),
    ).defer(
        "first__account",
        "first__coordinates",
        "second__account",
        "second__coordinates",
        "first__area__geometry",
        "second__area__geometry",
    )


def duplicate_candidate_get(*, user, first, second) -> DuplicateCandidate:
    """The pending pair of these two incidents (public ids) in the user's scope; Http404 alike otherwise."""
    candidate = (
        duplicate_candidates(user=user, status=DuplicateCandidate.Status.PENDING)
        .filter(first__public_id=first, second__public_id=second)
        .first()
    )
    if candidate is None:
        raise Http404
    return candidate


def duplicate_candidates_page(*, user, status: str, number, per_page: int) -> Page:
    """A page of the user's pairs, best first; each candidate carries `reasons` (said now, in the active
    language), from one more query for the page's incidents."""
    page = Paginator(duplicate_candidates(user=user, status=status), per_page).get_page(number)
    candidates = list(page.object_list)
    ids = sorted({pk for candidate in candidates for pk in (candidate.first_id, candidate.second_id)})
    items = {item.id: item for item in pair_items(Incident.objects.filter(pk__in=ids).order_by())}
    for candidate in candidates:
        first, second = items.get(candidate.first_id), items.get(candidate.second_id)
        candidate.reasons = pair_reasons(first, second) if first and second else []
    page.object_list = candidates
    return page
