"""Comparing persons without decrypting them, and the blocking keys that find candidates (shared by the
person search in persons.py and the tracing matches in services/tracing.py)."""

from __future__ import annotations

from datetime import date

from django.db.models import Case as SqlCase
from django.db.models import IntegerField, Sum, Value, When
from django.utils import timezone

from sentinelle.cases.models import Person, PersonNameKey
from sentinelle.cases.names import name_keys
from sentinelle.core.crypto import keyed_hash

# How many persons sharing keys are considered (heaviest first): bounds a search whatever the size of
# the register.
BLOCK_LIMIT = 1000
# Weight of a shared blocking key by kind (p: both names, t: one name, s: consonant skeleton).
KEY_WEIGHTS = {"p": 4, "t": 2, "s": 1}


# --- Non-identifying comparisons (shared with tracing) -------------------------------------------


def area_relation(path_a: str | None, path_b: str | None) -> str | None:
    """ "commune", "cercle" or "region" when two areas share that level; None otherwise."""
    if not path_a or not path_b:
        return None
    parts_a = [p for p in path_a.split("/") if p]
    parts_b = [p for p in path_b.split("/") if p]
    if parts_a == parts_b and len(parts_a) >= 4:
        return "commune"
    if len(parts_a) >= 3 and len(parts_b) >= 3 and parts_a[:3] == parts_b[:3]:
        return "cercle"
    if len(parts_a) >= 2 and len(parts_b) >= 2 and parts_a[:2] == parts_b[:2]:
        return "region"
    return None


def age_now(age: int | None, recorded_at, today: date | None = None) -> int | None:
    """An age recorded at `recorded_at` (date or datetime), as it is today."""
    if age is None:
        return None
    today = today or timezone.localdate()
    if recorded_at is None:
        return age
    recorded_on = recorded_at.date() if hasattr(recorded_at, "date") else recorded_at
    return age + max(0, (today - recorded_on).days) // 365


def current_age(person: Person, today: date | None = None) -> int | None:
    """The person's age today: from the date of birth when known (decrypted), else the registered age
    plus the years since registration."""
    today = today or timezone.localdate()
    born = getattr(person, "date_of_birth", "")
    if born:
        try:
            birth = date.fromisoformat(born)
        except ValueError:
            birth = None
        if birth is not None:
            return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    return age_now(person.age, person.created_at, today)


def sex_known(sex: str | None) -> bool:
    return bool(sex) and sex != "unknown"


# --- Blocking --------------------------------------------------------------------------------------


def weighted_name_keys(*names: str) -> dict[str, int]:
    """Keyed hashes of the names' blocking keys, with the weight of each kind."""
    return {keyed_hash(key): KEY_WEIGHTS[key[0]] for key in name_keys(*names)}


def key_weight_expression(keys: dict[str, int]):
    """SQL: the weight of the key of a row (0 if not one of `keys`)."""
    whens = []
    for weight in sorted(set(keys.values()), reverse=True):
        chosen = [key for key, w in keys.items() if w == weight]
        whens.append(When(key__in=chosen, then=Value(weight)))
    return SqlCase(*whens, default=Value(0), output_field=IntegerField())


def blocked_person_ids(keys: dict[str, int], *, limit: int = BLOCK_LIMIT) -> dict[int, int]:
    """Ids of the persons sharing blocking keys, with the summed weight of the keys they share, heaviest
    first. One indexed scan of the key table, no join: scoping comes after, on these ids only."""
    if not keys:
        return {}
    rows = (
        PersonNameKey.objects.filter(key__in=list(keys))
        .values("person_id")
        .annotate(weight=Sum(key_weight_expression(keys)))
        .order_by("-weight", "-person_id")
        .values_list("person_id", "weight")[:limit]
    )
    return dict(rows)
