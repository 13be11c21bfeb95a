"""Finding persons: search before create, the probable match outside the user's scope, one person's record.

Search never scans identities. It gathers candidates through indexed keyed hashes (the exact full name
in either order, the phone number, and the PersonNameKey blocking keys of names.py), ranks them first on
non-identifying columns (how many keys they share, sex, age, commune), and decrypts only the best few
dozen to score them with `name_similarity`. Candidates are limited to the user's scope (Perm.PERSON_VIEW).

Outside that scope (another organisation, another case worker's cases) a search must not become an
oracle ("is this survivor registered somewhere?"). So `person_duplicate_check` says only whether a
*strong* match exists (see STRONG_* below), never how many, never where; each search or check takes a
token of the user's throttle (SENTINELLE["THROTTLES"]["person_search.user"]) and is refused, audited and
not run past it; each is audited with keyed digests of its terms, never the terms; and the managers of
the organisation holding a strong match are told (services.persons.person_duplicate_notify), so that a
probe is seen by those who hold the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, ExpressionWrapper, Q, Value
from django.utils import timezone
from django.utils.translation import gettext

from sentinelle.cases.models import Person
from sentinelle.cases.names import DUPLICATE_THRESHOLD, full_names, name_similarity
from sentinelle.cases.selectors.person_keys import (
    BLOCK_LIMIT,
    age_now,
    area_relation,
    blocked_person_ids,
    current_age,
    key_weight_expression,
    sex_known,
    weighted_name_keys,
)
from sentinelle.core.audit import audit_record
from sentinelle.core.crypto import keyed_hash, normalise_phone
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, get_object_for_user, has_perm, refuse, scope_queryset
from sentinelle.core.throttles import throttle_hit, throttle_retry_after

__all__ = [
    "Candidate",
    "PersonLookup",
    "PersonQuery",
    "SearchThrottled",
    "area_relation",
    "blocked_person_ids",
    "current_age",
    "duplicate_hint",
    "key_weight_expression",
    "person_duplicate_check",
    "person_get",
    "person_lookup",
    "person_search",
    "weighted_name_keys",
]

# Blocking: how many persons sharing keys are considered (heaviest first), how many of those left by
# the scope are ranked on non-identifying columns, and how many are then decrypted and scored. They bound
# the cost of a search whatever the size of the register.
CONTEXT_LIMIT = 200
# The heaviest persons read first (scope and context columns); the rest only if too few are in scope.
FIRST_READ = 250
DECRYPT_LIMIT = 40
# Below this score a candidate is not shown at all.
MIN_SCORE = 0.6
# Weight of a shared blocking key by kind (p: both names, t: one name, s: consonant skeleton) and of
# the exact look-ups.
EXACT_NAME_WEIGHT = 10
PHONE_WEIGHT = 6

# A match outside the user's scope is mentioned only when it is strong, judged on columns read without
# decrypting anything:
#   - the same full name by keyed hash (in either order), the same sex (known on both sides), an age within
#     STRONG_AGE_GAP years (the registered age brought to today) and the same cercle (or commune); or
#   - the same phone number by keyed hash, at least MIN_PHONE_DIGITS digits once normalised (a Malian
#     number: a short fragment matches too many).
# Fuzzy name similarity never counts there: "someone like the person you describe is registered
# elsewhere" is the oracle; a strong match is what the case worker would otherwise register twice.
STRONG_AGE_GAP = 2
STRONG_AREAS = ("commune", "cercle")
MIN_PHONE_DIGITS = 8
# The throttle of searches and duplicate checks, per user (core/throttles.py, settings THROTTLES).
SEARCH_THROTTLE = "person_search.user"


@dataclass
class PersonQuery:
    given_name: str = ""
    family_name: str = ""
    phone: str = ""
    age: int | None = None
    sex: str | None = None
    area: object | None = None  # geography.AdminArea

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    def is_empty(self) -> bool:
        return not (self.full_name or self.phone.strip())


@dataclass
class Candidate:
    person: Person
    score: float
    reasons: list[str] = field(default_factory=list)
    exact: bool = False
    # The score before it is capped to [0, 1]: orders candidates that all score 1.0 (same age first).
    rank: float = 0.0

    @property
    def probable_duplicate(self) -> bool:
        return self.score >= DUPLICATE_THRESHOLD


def _exact_ids(query: PersonQuery) -> tuple[dict[int, int], set[int], set[int]]:
    """Persons found by keyed hash: the full name in either order, the phone number."""
    name_hashes = {
        h
        for h in (
            keyed_hash(query.full_name),
            keyed_hash(f"{query.family_name} {query.given_name}".strip()),
        )
        if h
    }
    phone_hash = keyed_hash(query.phone, kind="phone")
    if not (name_hashes or phone_hash):
        return {}, set(), set()
    condition = Q(full_name_hash__in=name_hashes) if name_hashes else Q(pk__in=[])
    if phone_hash:
        condition |= Q(phone_hash=phone_hash)
    weights: dict[int, int] = {}
    by_name: set[int] = set()
    by_phone: set[int] = set()
    rows = Person.objects.filter(condition).order_by().values_list("id", "full_name_hash", "phone_hash")
    for pk, name_hash, phone in rows[:BLOCK_LIMIT]:
        if name_hash in name_hashes:
            by_name.add(pk)
            weights[pk] = weights.get(pk, 0) + EXACT_NAME_WEIGHT
        if phone_hash and phone == phone_hash:
            by_phone.add(pk)
            weights[pk] = weights.get(pk, 0) + PHONE_WEIGHT
    return weights, by_name, by_phone


def _context_bonus(query: PersonQuery, sex: str, age: int | None, path: str | None) -> int:
    """Ranking on non-identifying columns before anything is decrypted (same units as key weights)."""
    bonus = 0
    if sex_known(query.sex) and sex_known(sex):
        bonus += 1 if sex == query.sex else -4
    if query.age is not None and age is not None:
        difference = abs(query.age - age)
        bonus += 2 if difference <= 2 else 1 if difference <= 5 else -2
    relation = area_relation(getattr(query.area, "path", None), path)
    bonus += {"commune": 2, "cercle": 1}.get(relation, 0)
    return bonus


@dataclass
class _Reach:
    """What one search reached, read once and shared by the candidates and the strong-match check: the
    weights of the persons found (exact look-ups and blocking keys), who matched by name and by phone, and
    for each active one, its non-identifying columns and whether it lies in the user's scope."""

    weights: dict[int, int]
    by_name: set[int]
    by_phone: set[int]
    # id -> (sex, age today, area path, in the user's scope (Perm.PERSON_VIEW))
    rows: dict[int, tuple] = field(default_factory=dict)


def _reach(user, query: PersonQuery, *, blocking: bool) -> _Reach:
    """The persons the exact look-ups (and with `blocking`, the name keys) find, with their context columns
    and the policy's answer for each: one query after the look-ups, two when few of the heaviest are in
    the user's scope.

    The policy's filter runs as a subquery on the found ids only (a few thousand at most), never on the
    whole register; nothing is decrypted here."""
    weights, by_name, by_phone = _exact_ids(query)
    weights = dict(weights)
    names = [n for n in (query.given_name, query.family_name) if n.strip()]
    if blocking and names:
        for pk, weight in blocked_person_ids(weighted_name_keys(*names)).items():
            weights[pk] = weights.get(pk, 0) + weight
    reach = _Reach(weights, by_name, by_phone)
    # Heaviest first: the candidates are the CONTEXT_LIMIT heaviest persons in scope, so when enough of
    # the heaviest few hundred are in scope, the lighter ones are never read (with the exact matches,
    # which the strong-match check needs, in the first read).
    order = sorted(weights, key=lambda pk: (-weights[pk], -pk))
    first = order[:FIRST_READ]
    reach.rows = _columns(user, {*first, *by_name, *by_phone})
    in_scope = sum(1 for pk in first if pk in reach.rows and reach.rows[pk][3])
    if len(order) > FIRST_READ and in_scope < CONTEXT_LIMIT:
        reach.rows.update(_columns(user, [pk for pk in order[FIRST_READ:] if pk not in reach.rows]))
    return reach


def _columns(user, ids) -> dict[int, tuple]:
    """id -> (sex, age today, area path, in the user's scope) of these persons if active, in one query."""
    if not ids:
        return {}
    # `= ANY(array)`: an index scan of these ids (an `IN (SELECT unnest(...))` semi-join let PostgreSQL merge
    # them with a scan of the whole register inside the policy's subquery).
    active = Person.objects.filter(pk__in_ids=ids, merged_into__isnull=True, is_archived=False)
    if has_perm(user, Perm.PERSON_VIEW):
        scoped = scope_queryset(user, active, Perm.PERSON_VIEW).order_by().values("pk")
        in_scope = ExpressionWrapper(Q(pk__in=scoped), output_field=BooleanField())
    else:
        in_scope = Value(False, output_field=BooleanField())
    today = timezone.localdate()
    rows = {}
    for pk, sex, age, created_at, path, allowed in (
        active.order_by()
        .annotate(in_scope=in_scope)
        .values_list("id", "sex", "age", "created_at", "area__path", "in_scope")
    ):
        rows[pk] = (sex, age_now(age, created_at, today), path, bool(allowed))
    return rows


def _shortlist(reach: _Reach, query: PersonQuery, limit: int):
    """The `limit` most promising persons of the user's scope, decrypted: the heaviest few hundred by
    shared keys, ranked on non-identifying columns (sex, age, commune) before anything is decrypted."""
    weights = reach.weights
    allowed = [pk for pk, row in reach.rows.items() if row[3]]
    heaviest = sorted(allowed, key=lambda pk: (-weights[pk], -pk))[:CONTEXT_LIMIT]
    ranked = []
    for pk in heaviest:
        sex, age, path, _in_scope = reach.rows[pk]
        ranked.append((weights[pk] + _context_bonus(query, sex, age, path), pk))
    ranked.sort(reverse=True)
    chosen = [pk for _weight, pk in ranked[:limit]]
    if not chosen:
        return []
    return list(Person.objects.filter(pk__in=chosen).select_related("area", "organisation"))


# --- Scoring ---------------------------------------------------------------------------------------


def _name_reason(similarity: float, exact: bool) -> str:
    if exact:
        return gettext("Same name")
    if similarity >= 0.95:
        return gettext("Very similar name (%(score)s %%)") % {"score": round(similarity * 100)}
    if similarity >= DUPLICATE_THRESHOLD:
        return gettext("Similar name (%(score)s %%)") % {"score": round(similarity * 100)}
    return gettext("Partly similar name (%(score)s %%)") % {"score": round(similarity * 100)}


def _raw_score(
    query: PersonQuery, person: Person, *, exact_name: bool, same_phone: bool
) -> tuple[float, list]:
    """A score before it is capped to [0, 1] (see Candidate.rank) and its reasons (French once
    translated; no names in them)."""
    reasons: list[str] = []
    if query.full_name:
        variants = full_names(person.given_name, person.family_name, person.other_names)
        similarity = 1.0 if exact_name else max(name_similarity(query.full_name, v) for v in variants)
        score = similarity
        reasons.append(_name_reason(similarity, exact_name))
    else:
        score = 0.5
    if same_phone:
        score += 0.1 if query.full_name else 0.3
        reasons.append(gettext("Same phone number"))
    if sex_known(query.sex) and sex_known(person.sex):
        if query.sex == person.sex:
            reasons.append(gettext("Same sex"))
        else:
            score -= 0.3
            reasons.append(gettext("Different sex"))
    age = current_age(person)
    if query.age is not None and age is not None:
        difference = abs(query.age - age)
        score -= 0.01 * min(difference, 3)  # orders the close ones: the same age first
        if difference <= 1:
            score += 0.03
            reasons.append(gettext("Same age (about %(age)s years)") % {"age": age})
        elif difference <= 3:
            reasons.append(gettext("Close age (%(age)s years)") % {"age": age})
        else:
            score -= 0.1 if difference <= 6 else 0.25
            reasons.append(gettext("Age differs by %(years)s years") % {"years": difference})
    relation = area_relation(getattr(query.area, "path", None), person.area.path)
    if relation == "commune":
        score += 0.04
        reasons.append(gettext("Same commune"))
    elif relation == "cercle":
        score += 0.02
        reasons.append(gettext("Same cercle"))
    elif relation == "region":
        reasons.append(gettext("Same region"))
    return score, reasons


def _candidates(reach: _Reach, query: PersonQuery, decrypt_limit: int) -> list[Candidate]:
    found = []
    for person in _shortlist(reach, query, decrypt_limit):
        exact = person.pk in reach.by_name
        raw, reasons = _raw_score(query, person, exact_name=exact, same_phone=person.pk in reach.by_phone)
        score = round(min(1.0, max(0.0, raw)), 3)  # the rank keeps the raw score
        if score >= MIN_SCORE:
            found.append(Candidate(person=person, score=score, reasons=reasons, exact=exact, rank=raw))
    found.sort(key=lambda c: (-c.score, -c.rank, c.person.person_code))
    return found


# --- Outside the user's scope: strong matches only -------------------------------------------------


def _strong_elsewhere(reach: _Reach, query: PersonQuery) -> list[Person]:
    """Persons outside the user's scope (Perm.PERSON_VIEW) who strongly match the query (STRONG_* above).

    Found through the exact keyed hashes only, judged on sex, age, area and creation date: no identity
    is decrypted (the persons are loaded without their encrypted fields)."""
    phone_counts = len(normalise_phone(query.phone)) >= MIN_PHONE_DIGITS
    ids = reach.by_name | (reach.by_phone if phone_counts else set())
    strong = []
    for pk in sorted(ids):
        row = reach.rows.get(pk)
        if row is None or row[3]:  # merged, archived, or in the user's scope
            continue
        if phone_counts and pk in reach.by_phone:
            strong.append(pk)
            continue
        sex, age, path, _in_scope = row
        if (
            sex_known(query.sex)
            and sex == query.sex
            and query.age is not None
            and age is not None
            and abs(query.age - age) <= STRONG_AGE_GAP
            and area_relation(getattr(query.area, "path", None), path) in STRONG_AREAS
        ):
            strong.append(pk)
    if not strong:
        return []
    fields = ("id", "public_id", "organisation", "area")
    return list(Person.objects.filter(pk__in=strong).select_related("organisation", "area").only(*fields))


# --- The doors: throttled, audited -----------------------------------------------------------------


class SearchThrottled(PermissionDenied):
    """The user searched too often in the window: this search was not run (audited)."""


def _take_search_token(user, request) -> None:
    """One search or duplicate check by this user, or the refusal (audited, nothing searched)."""
    counted = str(user.pk)
    if throttle_hit(SEARCH_THROTTLE, counted):
        return
    minutes = max(1, -(-throttle_retry_after(SEARCH_THROTTLE, counted) // 60))
    refuse(
        user,
        Perm.PERSON_VIEW,
        message=gettext(
            "You have searched for persons many times in a short while: to protect the persons registered, "
            "searching is paused for you. Try again in %(minutes)s minutes, or ask your manager."
        )
        % {"minutes": minutes},
        exception=SearchThrottled,
        object_type="cases.person",
        request=request,
        detail={"throttle": SEARCH_THROTTLE},
    )


def _term_digests(query: PersonQuery) -> dict:
    """The terms as keyed digests, never in clear. The name's digest is what a person's full_name_hash
    holds (and its reverse order), the phone's their phone_hash: an auditor can tell whose record a search
    was after, the log cannot. "query" digests every term together, to see the same search repeated."""
    digests = {}
    if query.full_name:
        digests["name"] = keyed_hash(query.full_name)
        digests["name_reversed"] = keyed_hash(f"{query.family_name} {query.given_name}".strip())
    if query.phone.strip():
        digests["phone"] = keyed_hash(query.phone, kind="phone")
    together = [query.full_name, normalise_phone(query.phone), str(query.age), str(query.sex or "")]
    together.append(getattr(query.area, "pcode", ""))
    digests["query"] = keyed_hash("|".join(together))
    return digests


def _audit_search(user, query: PersonQuery, request, organisation=None, **detail) -> None:
    audit_record(
        action=AuditAction.READ,
        user=user,
        organisation=organisation,
        object_type="cases.person",
        request=request,
        detail={**detail, "terms": _term_digests(query)},
    )


def _tell_holders(user, organisation, persons: list[Person], request) -> None:
    from sentinelle.cases.services.persons import person_duplicate_notify

    person_duplicate_notify(actor=user, organisation=organisation, persons=persons, request=request)


@dataclass
class PersonLookup:
    """What search before create shows: candidates in the user's scope, and whether a strong match
    exists outside it (never how many, never where)."""

    candidates: list[Candidate] = field(default_factory=list)
    elsewhere: bool = False


def _query(given_name, family_name, phone, age, sex, area) -> PersonQuery:
    return PersonQuery(given_name.strip(), family_name.strip(), phone.strip(), age, sex, area)


def _look(
    user, query: PersonQuery, request, organisation=None, *, door: str, sees=True, registers=True, limit=20
):
    """The one search behind the three doors below ("lookup", "search", "duplicate_check"): one throttle
    token; the candidates the user may see (not for a duplicate check); whether a strong match exists
    outside the user's scope (not for a plain search; its holders are then told); one audit entry with the
    candidates' public ids and the terms' digests (never the terms)."""
    _take_search_token(user, request)
    sees = sees and door != "duplicate_check"
    registers = registers and door != "search"
    # The look-ups run once for both questions (the candidates, a strong match elsewhere).
    reach = _reach(user, query, blocking=sees)
    found = _candidates(reach, query, max(DECRYPT_LIMIT, limit))[:limit] if sees else []
    strong = _strong_elsewhere(reach, query) if registers else []
    if door == "duplicate_check":
        detail = {"duplicate_check": True, "elsewhere": bool(strong)}
    else:
        detail = {"search": True, "candidates": [str(c.person.public_id) for c in found]}
        if door == "lookup":
            detail["elsewhere"] = bool(strong)
    _audit_search(user, query, request, organisation, **detail)
    if strong:
        _tell_holders(user, organisation, strong, request)
    return PersonLookup(candidates=found, elsewhere=bool(strong))


def person_lookup(
    *,
    user,
    organisation=None,
    given_name: str = "",
    family_name: str = "",
    phone: str = "",
    age: int | None = None,
    sex: str | None = None,
    area=None,
    limit: int = 20,
    request=None,
) -> PersonLookup:
    """Search before create in one step (one throttle token, one audit entry): the candidates the user
    may see (Perm.PERSON_VIEW) and, for a user who registers persons (Perm.PERSON_CREATE), whether a
    strong match exists outside their scope (its holders are then told). SearchThrottled past the rate."""
    query = _query(given_name, family_name, phone, age, sex, area)
    sees, registers = has_perm(user, Perm.PERSON_VIEW), has_perm(user, Perm.PERSON_CREATE)
    if query.is_empty() or not (sees or registers):
        return PersonLookup()
    return _look(
        user, query, request, organisation, door="lookup", sees=sees, registers=registers, limit=limit
    )


def person_search(
    *,
    user,
    given_name: str = "",
    family_name: str = "",
    phone: str = "",
    age: int | None = None,
    sex: str | None = None,
    area=None,
    limit: int = 20,
    request=None,
) -> list[Candidate]:
    """Persons in the user's scope who may be the one described, best first (search before create).

    Throttled (SearchThrottled); audited with the public ids of the candidates shown and keyed digests of
    the terms (never the terms)."""
    query = _query(given_name, family_name, phone, age, sex, area)
    if query.is_empty() or not has_perm(user, Perm.PERSON_VIEW):
        return []
    return _look(user, query, request, door="search", limit=limit).candidates


def person_duplicate_check(
    *,
    user,
    organisation=None,
    given_name: str = "",
    family_name: str = "",
    phone: str = "",
    age: int | None = None,
    sex: str | None = None,
    area=None,
    request=None,
) -> bool:
    """Is a strong match of this person registered among records the user cannot see (another
    organisation, another case worker's cases)? Only yes or no, so that a duplicate is not created
    unknowingly while nobody learns from it who is registered where; the holders' managers are told.
    Perm.PERSON_CREATE; throttled and audited like a search."""
    query = _query(given_name, family_name, phone, age, sex, area)
    if query.is_empty() or not has_perm(user, Perm.PERSON_CREATE):
        return False
    return _look(user, query, request, organisation, door="duplicate_check").elsewhere


def duplicate_hint(found) -> str:
    """What to tell the case worker when a strong match exists outside their scope (never where)."""
    if not found:
        return ""
    return gettext(
        "A person closely matching these details is already registered in records you cannot see. Before "
        "registering, ask your manager: the managers who hold that record have been told, so that you can "
        "coordinate."
    )


def person_get(*, user, public_id, request=None) -> Person:
    """One person the user may see (404 otherwise, alike); the read is audited."""
    queryset = Person.objects.select_related("area", "organisation", "merged_into")
    return get_object_for_user(user, queryset, public_id, Perm.PERSON_VIEW, request=request)
