"""MRM counting rules for grave violations against children (standards §2).

Killing, maiming, recruitment, sexual violence and abduction are counted once per child victim; attacks
on schools or hospitals and denial of humanitarian access once per violation (the event), whatever the
number of children affected. Statistics count only incidents that entered the shared picture (submitted
or verified) and are not another source's report of an event already counted (`duplicate_of`).

The rules are here (`violation_count` for one incident's page, `violation_errors` for an input);
the figures apply them in SQL in one place, the `grave_violations` dataset (datasets.py).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext

from sentinelle.monitoring.models import (
    CHILD_AGE_GROUPS,
    COUNTED_PER_VICTIM,
    IncidentStatus,
    ViolationType,
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


def statistics_incidents(incidents: QuerySet) -> QuerySet:
    """The incidents that count: submitted or verified, and not a linked duplicate."""
    return incidents.filter(status__in=STATISTICS_STATUSES, duplicate_of__isnull=True)


def violation_errors(violation, prefix: str) -> dict[str, str]:
    """French messages for one ViolationLine, keyed like `violations.0.victims` (used by validation)."""
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
