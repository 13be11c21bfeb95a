"""MRM counting rules for grave violations against children (standards §2).

Killing, maiming, recruitment, sexual violence and abduction are counted once per child victim; attacks
on schools or hospitals and denial of humanitarian access once per violation (the event), whatever the
number of children affected. Statistics count only incidents that entered the shared picture (submitted
or verified) and are not another source's report of an event already counted (`duplicate_of`).

Both an in-memory form (for inputs and one incident's page) and a database form (aggregates for
selectors and dashboards, a constant number of queries) are given; they must agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext

from sentinelle.monitoring.models import (
    CHILD_AGE_GROUPS,
    COUNTED_PER_VICTIM,
    GraveViolation,
    IncidentStatus,
    ViolationType,
    ViolationVictims,
)

PER_EVENT = frozenset(set(ViolationType) - set(COUNTED_PER_VICTIM))
# Age groups a child victim may be recorded in ("unknown" when the age is not known, still a child).
CHILD_VICTIM_AGE_GROUPS = frozenset({*CHILD_AGE_GROUPS, "unknown"})
STATISTICS_STATUSES = (IncidentStatus.SUBMITTED, IncidentStatus.VERIFIED)


def counted_per_victim(violation_type: str) -> bool:
    return violation_type in COUNTED_PER_VICTIM


def violation_count(violation_type: str, victims: int) -> int:
    """What one violation adds to its type's total: its child victims, or 1 for an event."""
    return victims if counted_per_victim(violation_type) else 1


def _victims_of(violation) -> int:
    cells = violation.victims
    if hasattr(cells, "all"):  # a GraveViolation: use the prefetched rows
        cells = cells.all()
    return sum(cell.count for cell in cells)


def count_violations(violations: Iterable) -> dict[str, int]:
    """Totals per violation type of ViolationInputs or GraveViolations (prefetch `victims`)."""
    totals: Counter[str] = Counter()
    for violation in violations:
        totals[str(violation.type)] += violation_count(violation.type, _victims_of(violation))
    return dict(totals)


def statistics_incidents(incidents: QuerySet) -> QuerySet:
    """The incidents that count: submitted or verified, and not a linked duplicate."""
    return incidents.filter(status__in=STATISTICS_STATUSES, duplicate_of__isnull=True)


def _violations_of(incidents: QuerySet, *, verified_only: bool) -> QuerySet:
    violations = GraveViolation.objects.filter(incident__in=statistics_incidents(incidents))
    if verified_only:
        violations = violations.filter(verification="verified")
    return violations


def violation_totals(incidents: QuerySet, *, verified_only: bool = False) -> dict[str, int]:
    """MRM totals per violation type over (already scoped) incidents: two aggregate queries."""
    violations = _violations_of(incidents, verified_only=verified_only)
    totals = dict.fromkeys(ViolationType.values, 0)
    per_event = violations.filter(type__in=PER_EVENT).values("type").annotate(n=Count("id"))
    for row in per_event:
        totals[row["type"]] = row["n"]
    per_victim = (
        ViolationVictims.objects.filter(violation__in=violations.filter(type__in=COUNTED_PER_VICTIM))
        .values("violation__type")
        .annotate(n=Sum("count"))
    )
    for row in per_victim:
        totals[row["violation__type"]] = row["n"] or 0
    return totals


def victims_by_sex_and_age(
    incidents: QuerySet, *, violation_type: str | None = None, verified_only: bool = False
) -> dict[tuple[str, str, str], int]:
    """Child victims of the per-victim violations by (type, sex, age group): one query."""
    violations = _violations_of(incidents, verified_only=verified_only).filter(type__in=COUNTED_PER_VICTIM)
    if violation_type:
        violations = violations.filter(type=violation_type)
    rows = (
        ViolationVictims.objects.filter(violation__in=violations)
        .values("violation__type", "sex", "age_group")
        .annotate(n=Sum("count"))
    )
    return {(row["violation__type"], row["sex"], row["age_group"]): row["n"] for row in rows}


def violation_errors(violation, prefix: str) -> dict[str, str]:
    """French messages for one ViolationInput, keyed like `violations.0.victims` (used by validation)."""
    errors: dict[str, str] = {}
    if violation.type not in ViolationType.values:
        errors[f"{prefix}.type"] = gettext("Unknown grave violation: %(code)s.") % {"code": violation.type}
        return errors
    total = 0
    for cell in violation.victims:
        if not isinstance(cell.count, int) or cell.count < 0:
            errors[f"{prefix}.victims"] = gettext(
                "The number of child victims must be a whole number, 0 or more."
            )
            return errors
        if cell.age_group not in CHILD_VICTIM_AGE_GROUPS:
            errors[f"{prefix}.victims"] = gettext(
                "Grave violations concern children: use an age group under 18 (or unknown)."
            )
            return errors
        total += cell.count
    if counted_per_victim(violation.type) and total == 0:
        errors[f"{prefix}.victims"] = gettext(
            "%(violation)s is counted per child victim: give at least one victim by sex and age."
        ) % {"violation": ViolationType(violation.type).label}
    return errors
