"""Reads of person merges: the merges into a person, the record chosen to be merged, and the probable
duplicates a user may merge (a server-side search with the person's own names)."""

from __future__ import annotations

from django.db.models import QuerySet

from sentinelle.cases.models import Person, PersonMerge
from sentinelle.cases.selectors.persons import Candidate, person_search
from sentinelle.core.permissions import Perm, get_object_for_user, has_perm


def person_merges(*, user, person: Person) -> QuerySet:
    """The merges into this person (newest first), for a user who may merge it; none otherwise."""
    if not has_perm(user, Perm.PERSON_MERGE, person):
        return PersonMerge.objects.none()
    return PersonMerge.objects.filter(kept=person).select_related("merged").order_by("-merged_at")


def person_merge_get(*, user, person: Person, merge_id: int) -> PersonMerge | None:
    """One merge into this person, for a user who may merge it; None otherwise."""
    return person_merges(user=user, person=person).filter(pk=merge_id).first()


def person_to_merge_get(*, user, public_id, request=None) -> Person:
    """The record chosen to be merged, among those the user may merge (404 otherwise, alike)."""
    queryset = Person.objects.select_related("area")
    return get_object_for_user(user, queryset, public_id, Perm.PERSON_MERGE, request=request)


def person_merge_candidates(*, user, person: Person, request=None) -> list[Candidate]:
    """The probable duplicates of this person that the user may merge: a search with the person's own
    names, server-side (no names in the address or the logs). It counts as a search (throttled:
    SearchThrottled)."""
    found = person_search(
        user=user,
        given_name=person.given_name,
        family_name=person.family_name,
        phone=person.phone,
        age=person.age,
        sex=person.sex,
        area=person.area,
        request=request,
    )
    return [
        candidate
        for candidate in found
        if candidate.person.pk != person.pk
        and candidate.person.merged_into_id is None
        and has_perm(user, Perm.PERSON_MERGE, candidate.person)
    ]
