"""Persons: register (after searching: selectors/persons.py), update, merge two records and undo a merge.

Identity fields are encrypted by their model fields; what this module adds is what finds them again
without decrypting: `full_name` (its keyed hash is the exact look-up) and the PersonNameKey rows, keyed
hashes of the phonetic keys of every name token (names.py), the blocking index of fuzzy search.
Audit entries carry the person code and public ids, never a name, a phone number or an address.
"""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from sentinelle.cases.models import Case, Consent, DisplacementStatus, Person, PersonMerge, PersonNameKey
from sentinelle.cases.names import hashed_name_keys
from sentinelle.cases.rollups import case_rollups_refresh, person_rollups_refresh
from sentinelle.core import validation
from sentinelle.core.audit import audit_record
from sentinelle.core.codes import Sex, age_group_of
from sentinelle.core.figure_cache import figures_changed
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, ensure, home_organisation, may_act_for, users_with
from sentinelle.core.throttles import Rate, throttle_hit
from sentinelle.core.validation import Errors

from ._casework import absolute_url, mail_after_commit, refused, resolve_organisation
from .versions import field_versions_bump

__all__ = [
    "PERSON_FIELDS",
    "person_duplicate_notify",
    "person_merge",
    "person_merge_undo",
    "person_register",
    "person_update",
    "write_name_keys",
]

# The fields a registration sets and an update may change.
PERSON_FIELDS = (
    "given_name",
    "family_name",
    "other_names",
    "sex",
    "age",
    "age_estimated",
    "date_of_birth",
    "phone",
    "address",
    "caregiver_name",
    "caregiver_phone",
    "displacement_status",
    "has_disability",
    "area",
)
_TEXT_FIELDS = (
    "given_name",
    "family_name",
    "other_names",
    "date_of_birth",
    "phone",
    "address",
    "caregiver_name",
    "caregiver_phone",
)
MAX_AGE = 120
_CODE_ATTEMPTS = 20


# --- Validation ----------------------------------------------------------------------------------


def _age_from_birth(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _clean(errors: Errors, values: dict) -> dict:
    """Trimmed and checked values; what is wrong goes to `errors`, by field, in French once translated."""
    cleaned = dict(values)
    for name in _TEXT_FIELDS:
        cleaned[name] = (cleaned.get(name) or "").strip()
    if not cleaned["given_name"]:
        errors.add("given_name", gettext("Enter the person's given name."))
    if cleaned["sex"] not in Sex.values:
        errors.add("sex", gettext("Choose the person's sex (or unknown)."))
    if cleaned["displacement_status"] not in DisplacementStatus.values:
        errors.add("displacement_status", gettext("Choose a displacement status from the list."))
    today = timezone.localdate()
    if cleaned["date_of_birth"]:
        try:
            born = date.fromisoformat(cleaned["date_of_birth"])
        except ValueError:
            errors.add("date_of_birth", gettext("Write the date of birth as YYYY-MM-DD."))
        else:
            if born > today:
                errors.add("date_of_birth", gettext("The date of birth is in the future."))
            elif cleaned.get("age") is None:
                cleaned["age"] = _age_from_birth(born, today)
    age = cleaned.get("age")
    if age is not None and (not isinstance(age, int) or isinstance(age, bool) or not 0 <= age <= MAX_AGE):
        errors.add("age", gettext("Enter an age between 0 and %(max)s years.") % {"max": MAX_AGE})
    area = cleaned.get("area")
    if area is None or not hasattr(area, "level"):
        errors.add("area", gettext("Choose the commune where the person lives."))
    elif area.level < 2:
        errors.add("area", gettext("Choose a cercle or a commune, not a region."))
    cleaned["age_estimated"] = bool(cleaned.get("age_estimated")) and age is not None
    cleaned["has_disability"] = bool(cleaned.get("has_disability"))
    return cleaned


def _apply(person: Person, values: dict) -> None:
    for name in PERSON_FIELDS:
        setattr(person, name, values[name])
    # The exact look-up key (full_name_hash is computed from it on save).
    person.full_name = f"{values['given_name']} {values['family_name']}".strip()
    person.age_group = age_group_of(values["age"])


def write_name_keys(person: Person) -> None:
    """Replace the person's blocking keys by those of their current names."""
    PersonNameKey.objects.filter(person=person).delete()
    keys = hashed_name_keys(person.given_name, person.family_name, person.other_names)
    PersonNameKey.objects.bulk_create(PersonNameKey(person=person, key=key) for key in sorted(keys))


# --- Person codes --------------------------------------------------------------------------------


def _last_number(prefix: str) -> int:
    """The number of the most recently created code of this year (codes grow with creation order)."""
    last = (
        Person.objects.filter(person_code__startswith=prefix)
        .order_by("-id")
        .values_list("person_code", flat=True)
        .first()
    )
    tail = last[len(prefix) :] if last else ""
    return int(tail) if tail.isdigit() else 0


def _save_with_code(person: Person) -> None:
    """Save a new person with the next free code "P-2026-00001".

    Two registrations at the same moment may compute the same number; the unique constraint refuses the
    second insert, whose savepoint rolls back, and it tries the next number. (SQLite serialises writers
    already; on PostgreSQL the loser waits for the winner's commit, then fails and retries.)
    """
    prefix = f"P-{timezone.localdate().year}-"
    number = _last_number(prefix)
    for _attempt in range(_CODE_ATTEMPTS):
        number = max(number + 1, _last_number(prefix) + 1)
        person.person_code = f"{prefix}{number:05d}"
        try:
            with transaction.atomic():
                person.save()
            return
        except IntegrityError:
            if Person.objects.filter(person_code=person.person_code).exists():
                continue
            raise
    raise RuntimeError("Could not draw a free person code.")


# --- Register and update -------------------------------------------------------------------------


def _check_in_areas(errors: Errors, actor, organisation, area) -> None:
    """Outside the actor's areas is a field error of the form (as for incidents), not a refusal."""
    if "area" not in errors and not may_act_for(
        actor, Perm.PERSON_CREATE, organisation=organisation, area=area
    ):
        errors.add("area", gettext("This commune is outside your areas of responsibility."))


def person_register(
    *,
    actor,
    organisation=None,
    given_name: str,
    family_name: str = "",
    other_names: str = "",
    sex: str,
    age: int | None = None,
    age_estimated: bool = False,
    date_of_birth: str = "",
    phone: str = "",
    address: str = "",
    caregiver_name: str = "",
    caregiver_phone: str = "",
    displacement_status: str = DisplacementStatus.HOST,
    has_disability: bool = False,
    area,
    request=None,
) -> Person:
    """Register a person for `organisation` (default: the actor's first where they may).

    Search first (selectors.persons.person_search and person_duplicate_check): this service does not
    refuse a probable duplicate, the case worker decides after seeing the candidates.
    """
    organisation = resolve_organisation(
        actor, organisation, Perm.PERSON_CREATE, object_type="cases.person", request=request
    )
    errors = Errors()
    values = _clean(
        errors,
        {
            "given_name": given_name,
            "family_name": family_name,
            "other_names": other_names,
            "sex": sex,
            "age": age,
            "age_estimated": age_estimated,
            "date_of_birth": date_of_birth,
            "phone": phone,
            "address": address,
            "caregiver_name": caregiver_name,
            "caregiver_phone": caregiver_phone,
            "displacement_status": displacement_status,
            "has_disability": has_disability,
            "area": area,
        },
    )
    _check_in_areas(errors, actor, organisation, values["area"])
    errors.raise_if_any()
    with transaction.atomic():
        person = Person(organisation=organisation, created_by=actor, updated_by=actor)
        _apply(person, values)
        _save_with_code(person)
        write_name_keys(person)
        audit_record(
            action=AuditAction.CREATE,
            user=actor,
            obj=person,
            organisation=organisation,
            request=request,
            detail={"person_code": person.person_code},
        )
        figures_changed("cases")
    return person


def person_update(*, actor, person: Person, request=None, **changes) -> Person:
    """Change some of PERSON_FIELDS; the search keys follow the names. Audited with the changed field
    names only (never their values)."""
    unknown = set(changes) - set(PERSON_FIELDS)
    if unknown:
        raise TypeError(f"person_update() got unexpected fields: {', '.join(sorted(unknown))}")
    ensure(actor, Perm.PERSON_CREATE, person, request=request, message=refused())
    with transaction.atomic():
        # The values are read from the locked row, not from the caller's copy: a copy read before someone
        # else's change would otherwise put that field back silently.
        locked = Person.objects.select_for_update().get(pk=person.pk)
        if locked.merged_into_id is not None:
            validation.refuse(
                gettext("This person was merged into another record: change that record instead.")
            )
        current = {name: getattr(locked, name) for name in PERSON_FIELDS}
        if changes.get("date_of_birth") and "age" not in changes:
            current["age"] = None  # recomputed from the new date of birth
        errors = Errors()
        values = _clean(errors, {**current, **changes})
        if "area" not in errors and values["area"].pk != locked.area_id:
            _check_in_areas(errors, actor, locked.organisation, values["area"])
        errors.raise_if_any()
        changed = sorted(name for name in PERSON_FIELDS if values[name] != getattr(locked, name))
        if not changed:
            return locked
        _apply(locked, values)
        locked.updated_by = actor
        locked.save()
        if {"given_name", "family_name", "other_names"} & set(changed):
            write_name_keys(locked)
        field_versions_bump(Person, locked.pk, changed, actor=actor)
        audit_record(
            action=AuditAction.UPDATE,
            user=actor,
            obj=locked,
            organisation=locked.organisation,
            request=request,
            detail={"person_code": locked.person_code, "changed": changed},
        )
        person_rollups_refresh(person_ids=[locked.pk])
        figures_changed("cases")
    return locked


# --- Merge and undo ------------------------------------------------------------------------------


def _lock_pair(first: Person, second: Person) -> tuple[Person, Person]:
    """Both rows under lock, taken in id order so that two merges of the same pair cannot deadlock."""
    rows = {p.pk: p for p in Person.objects.select_for_update().filter(pk__in=[first.pk, second.pk])}
    return rows[first.pk], rows[second.pk]


def _audit_merge(actor, kept: Person, merged: Person, event: str, request, *, cases: int, consents: int):
    """The audit entry of a merge or its undoing, on the kept person: codes and ids, never a name."""
    audit_record(
        action=AuditAction.UPDATE,
        user=actor,
        obj=kept,
        organisation=kept.organisation,
        request=request,
        detail={
            "event": event,
            "kept": kept.person_code,
            "merged": merged.person_code,
            "merged_id": str(merged.public_id),
            "cases": cases,
            "consents": consents,
        },
    )


def person_merge(*, actor, kept: Person, merged: Person, request=None) -> PersonMerge:
    """`merged` is the same person as `kept`: its cases and consents move to `kept` and it points at
    `kept` from now on (search no longer offers it). What moved is recorded, so the merge can be undone."""
    ensure(actor, Perm.PERSON_MERGE, kept, request=request, message=refused())
    ensure(actor, Perm.PERSON_MERGE, merged, request=request, message=refused())
    if kept.pk == merged.pk:
        validation.refuse(gettext("Choose two different persons to merge."))
    now = timezone.now()
    with transaction.atomic():
        kept, merged = _lock_pair(kept, merged)
        if kept.merged_into_id is not None or merged.merged_into_id is not None:
            validation.refuse(gettext("One of these persons was already merged into another record."))
        case_ids = list(Case.objects.filter(person=merged).values_list("id", flat=True))
        consent_ids = list(Consent.objects.filter(person=merged).values_list("id", flat=True))
        Case.objects.filter(pk__in=case_ids).update(person=kept, updated_at=now)
        Consent.objects.filter(pk__in=consent_ids).update(person=kept, updated_at=now)
        merged.merged_into = kept
        merged.updated_by = actor
        merged.save(update_fields=["merged_into", "updated_by", "updated_at"])
        merge = PersonMerge.objects.create(
            kept=kept,
            merged=merged,
            moved={"cases": case_ids, "consents": consent_ids},
            merged_at=now,
            merged_by=actor,
        )
        _audit_merge(
            actor, kept, merged, "person_merge", request, cases=len(case_ids), consents=len(consent_ids)
        )
        case_rollups_refresh(case_ids=case_ids)
        figures_changed("cases")
    return merge


def person_merge_undo(*, actor, merge: PersonMerge, request=None) -> PersonMerge:
    """Put back what the merge moved (the cases and consents still on the kept person) and make the merged
    record a person of its own again."""
    ensure(actor, Perm.PERSON_MERGE, merge.kept, request=request, message=refused())
    ensure(actor, Perm.PERSON_MERGE, merge.merged, request=request, message=refused())
    now = timezone.now()
    with transaction.atomic():
        merge = PersonMerge.objects.select_for_update().get(pk=merge.pk)
        if merge.undone_at is not None:
            validation.refuse(gettext("This merge was already undone."))
        kept, merged = _lock_pair(merge.kept, merge.merged)
        if merged.merged_into_id != kept.pk:
            validation.refuse(gettext("This merge cannot be undone: the records changed since."))
        if kept.merged_into_id is not None:
            validation.refuse(gettext("Undo the later merge of the kept record first."))
        moved = merge.moved or {}
        cases = Case.objects.filter(pk__in=moved.get("cases", []), person=kept).update(
            person=merged, updated_at=now
        )
        consents = Consent.objects.filter(pk__in=moved.get("consents", []), person=kept).update(
            person=merged, updated_at=now
        )
        merged.merged_into = None
        merged.updated_by = actor
        merged.save(update_fields=["merged_into", "updated_by", "updated_at"])
        merge.undone_at = now
        merge.undone_by = actor
        merge.save(update_fields=["undone_at", "undone_by"])
        _audit_merge(actor, kept, merged, "person_merge_undone", request, cases=cases, consents=consents)
        case_rollups_refresh(case_ids=moved.get("cases", []))
        figures_changed("cases")
    return merge


# --- A probable duplicate searched elsewhere -------------------------------------------------------

# One message per searcher and person a day, however often the same search is repeated.
DUPLICATE_NOTICE = "person_duplicate.notice"
DUPLICATE_NOTICE_RATE = Rate(limit=1, period=24 * 3600)


def person_duplicate_notify(*, actor, persons, organisation=None, request=None) -> int:
    """Tell the managers of the organisations holding `persons` (strong matches of a search by `actor`
    outside the actor's scope: selectors.persons) that a case worker of the actor's organisation may be
    about to register the same person, so that they coordinate.

    The mail carries no personal data: the searcher's organisation and a link to the person's page (which
    only those who may see the person open). Managers are those who may merge the person (Perm.PERSON_MERGE
    in its organisation, its area within theirs). The search's own audit entry records it (its name
    digest is the person's full_name_hash); nothing else is written but the throttle of repeats.
    Returns how many persons were notified."""
    searcher = organisation or home_organisation(actor, Perm.PERSON_CREATE)
    acronym = searcher.acronym if searcher is not None else ""
    notified = 0
    for person in persons:
        if not throttle_hit(DUPLICATE_NOTICE, f"{actor.pk}:{person.pk}", DUPLICATE_NOTICE_RATE):
            continue
        managers = [
            user
            for user in users_with(Perm.PERSON_MERGE, [person.organisation_id])
            if user.pk != actor.pk
            and may_act_for(user, Perm.PERSON_MERGE, organisation=person.organisation, area=person.area)
        ]
        url = absolute_url("cases:person-detail", person.public_id)

        def compose(user, url=url):
            subject = gettext("[Sentinelle] A person of your organisation may be registered twice")
            body = gettext(
                "A case worker of %(organisation)s searched for a person who closely matches a person your "
                "organisation registered. They were told only that a match exists in records they cannot "
                "see, not where. To avoid a second record, check it and coordinate with %(organisation)s "
                "through its managers: %(url)s"
            ) % {"organisation": acronym, "url": url}
            return subject, body

        mail_after_commit(managers, compose)
        notified += 1
    return notified
