"""Retention of survivors' identities (design §6): erased a configured time after their cases close.

The rule is per type of case, in months after closure (SENTINELLE["RETENTION_MONTHS"], e.g. GBV: 24; a type
without a period, or with 0, is kept). A person's identity is erased when ALL of these hold:
  - the person has at least one closed case, and no open one (a transferred case neither keeps nor
    frees the identity: the receiving organisation's case does);
  - every closed case has a period for its type and that period has run since its closure;
  - no case of the person carries a retention hold: a case worker who must keep the identity longer (a
    court case pending, a child still followed by another service) records why on the case
    (`case_retention_hold`), and may later lift it (`case_retention_release`).

Erasure is irreversible and keeps the non-identifying record for statistics: the person's name, phone,
address, date of birth and caregiver, their keyed digests (exact search) and phonetic keys (fuzzy
search) are emptied or deleted, and so are the free texts of their cases (notes, follow-up notes,
assessment summaries, plan goals and actions, closure note, access requests' reasons), where names
and places are written. Sex, age group, area, dates, steps, risk, referrals and services stay. Each
erased person gets one audit entry (no identity in it: codes only). Records merged into an erased
person are erased with it.

Erased means gone from the database and from every backup taken after: on SQLite the job writes with
`secure_delete` (freed pages are overwritten with zeros, so a file copy holds no trace); on PostgreSQL the
old row versions are removed by the VACUUM the command runs after the erasure (pg_dump never copies dead
rows; the WAL keeps them until it is recycled, and backups taken BEFORE the erasure keep them until they
expire under the backup rotation).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext

from sentinelle.cases.models import (
    Assessment,
    Case,
    CaseAccessRequest,
    CaseNote,
    CasePlan,
    CasePlanAction,
    CaseStatus,
    FollowUp,
    Person,
    PersonNameKey,
)
from sentinelle.cases.services._casework import audit_case, required_text
from sentinelle.cases.services.versions import field_versions_bump
from sentinelle.core import validation
from sentinelle.core.audit import audit_record
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, ensure
from sentinelle.core.validation import Errors

# Encrypted identity fields of a person, emptied by the erasure; their keyed digests with them.
PERSON_IDENTITY_FIELDS = (
    "given_name",
    "family_name",
    "other_names",
    "phone",
    "address",
    "date_of_birth",
    "caregiver_name",
    "caregiver_phone",
    "full_name",
)
PERSON_DIGEST_FIELDS = ("full_name_hash", "phone_hash")
# Free texts of a case, by model and the path from it to the case.
CASE_TEXTS = (
    (CaseNote, "case", ("text",)),
    (FollowUp, "case", ("notes",)),
    (Assessment, "case", ("summary",)),
    (CasePlan, "case", ("goals",)),
    (CasePlanAction, "plan__case", ("description",)),
    (CaseAccessRequest, "case", ("reason", "decision_note")),
)
BATCH = 200


def retention_months() -> dict[str, int]:
    """Months after closure, per case type, for the types that have a period (0 or absent: kept)."""
    configured = getattr(settings, "SENTINELLE", {}).get("RETENTION_MONTHS", {}) or {}
    return {case_type: int(months) for case_type, months in configured.items() if int(months or 0) > 0}


def _months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` months earlier (the last day of a shorter month)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def persons_due(*, today: datetime.date | None = None):
    """Persons whose identity the rule erases today (not yet erased, not merged into another)."""
    today = today or timezone.localdate()
    periods = retention_months()
    cases = Case.objects.filter(person=OuterRef("pk"))
    # A closed case is past its period when its type has one and it closed on or before the cut-off.
    past = Q()
    for case_type, months in periods.items():
        past |= Q(case_type=case_type, closed_on__lte=_months_before(today, months))
    blocking = Q(status=CaseStatus.OPEN) | ~Q(retention_hold_at=None)
    if periods:
        blocking |= Q(status=CaseStatus.CLOSED) & ~past
    else:
        blocking |= Q(status=CaseStatus.CLOSED)
    return (
        Person.objects.filter(identity_erased_at=None, merged_into=None)
        .filter(Exists(cases.filter(status=CaseStatus.CLOSED)))
        .exclude(Exists(cases.filter(blocking)))
        .order_by("pk")
    )


@dataclass
class RetentionRun:
    persons: int = 0
    cases: int = 0
    erased_ids: list[int] = field(default_factory=list)


def _erase_person(person_id: int, now) -> int:
    """Empty one person's identity, digests, phonetic keys and case texts; the number of cases touched."""
    Person.objects.filter(pk=person_id).update(
        identity_erased_at=now,
        **dict.fromkeys(PERSON_IDENTITY_FIELDS, ""),
        **dict.fromkeys(PERSON_DIGEST_FIELDS, ""),
    )
    PersonNameKey.objects.filter(person_id=person_id).delete()
    field_versions_bump(Person, person_id, PERSON_IDENTITY_FIELDS)
    case_ids = list(Case.objects.filter(person_id=person_id).values_list("pk", flat=True))
    Case.objects.filter(pk__in=case_ids).update(closure_note="")
    for model, path, fields in CASE_TEXTS:
        model.objects.filter(**{f"{path}__in": case_ids}).update(**dict.fromkeys(fields, ""))
    return len(case_ids)


def retention_erase(*, today: datetime.date | None = None, batch: int = BATCH) -> RetentionRun:
    """Erase every identity the rule says is due (the scheduled job; no user acts). Batches of `batch`
    persons, each in one transaction with one audit entry per person: a job stopped half-way resumes
    where it stopped, and nothing half-erased is ever committed."""
    run = RetentionRun()
    now = timezone.now()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")
    while True:
        ids = list(persons_due(today=today).values_list("pk", flat=True)[:batch])
        if not ids:
            break
        with transaction.atomic():
            for person in (
                Person.objects.filter(pk__in=ids)
                .select_related("organisation")
                .select_for_update(of=("self",))
            ):
                followers = list(Person.objects.filter(merged_into=person).values_list("pk", flat=True))
                cases = _erase_person(person.pk, now)
                for merged_id in followers:
                    cases += _erase_person(merged_id, now)
                run.persons += 1 + len(followers)
                run.cases += cases
                run.erased_ids.extend([person.pk, *followers])
                audit_record(
                    action=AuditAction.ERASURE,
                    obj=person,
                    organisation=person.organisation,
                    detail={
                        "person_code": person.person_code,
                        "cases": cases,
                        "merged_records": len(followers),
                        "rule": "retention",
                    },
                )
    return run


def retention_vacuum() -> None:
    """PostgreSQL: remove the erased rows' old versions now rather than at the next autovacuum (outside
    any transaction)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    tables = [Person, PersonNameKey, Case, *(model for model, _path, _fields in CASE_TEXTS)]
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f'VACUUM "{model._meta.db_table}"')


def _hold_set(case: Case, *, actor, reason: str, at) -> None:
    case.retention_hold_reason = reason
    case.retention_hold_at = at
    case.retention_hold_by = actor if at else None
    case.updated_by = actor
    case.save(
        update_fields=[
            "retention_hold_reason",
            "retention_hold_at",
            "retention_hold_by",
            "updated_by",
            "updated_at",
        ]
    )


def case_retention_hold(*, actor, case: Case, reason: str, request=None) -> Case:
    """Keep the person's identity past the retention period, for the reason given (encrypted)."""
    ensure(actor, Perm.CASE_EDIT, case, request=request)
    errors = Errors()
    reason = required_text(errors, reason, field="reason")
    errors.raise_if_any()
    with transaction.atomic():
        locked = (
            Case.objects.select_for_update(of=("self",))
            .select_related("person", "organisation")
            .get(pk=case.pk)
        )
        if locked.person.identity_erased_at is not None:
            validation.refuse(gettext("This person's identity was already erased."))
        _hold_set(locked, actor=actor, reason=reason, at=timezone.now())
        audit_case(actor, locked, "retention_hold", request)
    return locked


def case_retention_release(*, actor, case: Case, request=None) -> Case:
    """Lift the hold: the identity is erased at the end of the period again."""
    ensure(actor, Perm.CASE_EDIT, case, request=request)
    with transaction.atomic():
        locked = Case.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=case.pk)
        if locked.retention_hold_at is None:
            validation.refuse(gettext("This case has no retention hold."))
        _hold_set(locked, actor=actor, reason="", at=None)
        audit_case(actor, locked, "retention_released", request)
    return locked
