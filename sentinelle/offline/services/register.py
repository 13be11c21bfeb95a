"""A person and a case registered offline: search before create at sync, as the web registration does.

Without a decision, the search of the web page (selectors.persons.person_lookup: the same candidates, the
same throttle and audit, the same notice to the holders of a strong match elsewhere) runs first; a
probable duplicate creates nothing and answers "review" with the candidates the worker may see. The
worker's answer is a new register change: `person` (an existing person's public id: the case is opened
for them) or `decision: "new"` (register as a new person). Registering and opening the case are one
write: a case refused leaves no person behind.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext

from sentinelle.cases.models import Person
from sentinelle.cases.selectors.persons import SearchThrottled, current_age, duplicate_hint, person_lookup
from sentinelle.cases.services.cases import case_open
from sentinelle.cases.services.persons import person_register
from sentinelle.core.permissions import Perm, audit_refusal, get_object_for_user
from sentinelle.geography.selectors import area_get_by_pcode
from sentinelle.offline.models import ChangeStatus

from .changes import Change
from .outcomes import Outcome, as_int, as_list, as_text, as_uuid, refusal

__all__ = ["CANDIDATES_SHOWN", "register_apply"]

# How many candidates a review lists (best first).
CANDIDATES_SHOWN = 5
NEW_PERSON = "new"


def _person_values(fields: dict) -> dict:
    values = {
        name: as_text(fields.get(name)).strip()
        for name in ("given_name", "family_name", "phone", "address", "caregiver_name", "caregiver_phone")
    }
    values["sex"] = as_text(fields.get("sex"))
    values["age"] = as_int(fields.get("age"))
    values["displacement_status"] = as_text(fields.get("displacement_status")) or "host"
    # An unknown P-code is no area: the service says "Choose the commune where the person lives."
    values["area"] = area_get_by_pcode(as_text(fields.get("area")))
    return values


def _case_values(fields: dict) -> dict:
    return {
        "case_type": as_text(fields.get("case_type")),
        "risk_level": as_text(fields.get("risk_level")),
        "protection_concerns": as_list(fields.get("protection_concerns")),
    }


def _candidate(candidate) -> dict:
    person = candidate.person
    name = f"{person.given_name} {person.family_name}".strip()
    age = current_age(person)
    if age is None:
        label = gettext("%(name)s, %(area)s") % {"name": name, "area": person.area.name_fr}
    else:
        label = gettext("%(name)s, %(age)s years, %(area)s") % {
            "name": name,
            "age": age,
            "area": person.area.name_fr,
        }
    return {
        "id": str(person.public_id),
        "code": person.person_code,
        "label": label,
        "score": candidate.score,
    }


def _review(actor, values: dict, request) -> Outcome | None:
    """Search before create: "review" with the candidates when a probable duplicate exists, else None.
    A search refused by the throttle waits (the device sends the change again later)."""
    query = {name: values[name] for name in ("given_name", "family_name", "phone", "age", "sex", "area")}
    if not isinstance(query["age"], int):
        query["age"] = None
    try:
        found = person_lookup(user=actor, request=request, **query)
    except SearchThrottled as error:
        return Outcome(ChangeStatus.WAITING, str(error))
    probable = [candidate for candidate in found.candidates if candidate.probable_duplicate]
    if not probable and not found.elsewhere:
        return None
    message = gettext(
        "This person may already be registered: check the persons found, then choose one of them or "
        "confirm that this is a new person."
    )
    if found.elsewhere:
        message += " " + duplicate_hint(found.elsewhere)
    candidates = [_candidate(candidate) for candidate in found.candidates[:CANDIDATES_SHOWN]]
    return Outcome(ChangeStatus.REVIEW, message, candidates=candidates)


def _existing(actor, change: Change, request) -> Outcome:
    """Open the case for the person the worker chose after a review."""
    queryset = Person.objects.select_related("area", "organisation")
    person_id = as_uuid(change.fields.get("person"))
    try:
        person = get_object_for_user(actor, queryset, person_id, Perm.PERSON_VIEW, request=request)
    except Http404:
        return Outcome(ChangeStatus.REFUSED, gettext("This person cannot be found."))
    case = case_open(actor=actor, person=person, request=request, **_case_values(change.fields))
    message = gettext("Case %(number)s opened for %(code)s.") % {
        "number": case.case_number,
        "code": person.person_code,
    }
    return Outcome(ChangeStatus.APPLIED, message, case=str(case.public_id), person=str(person.public_id))


def _new(actor, values: dict, change: Change, request) -> Outcome:
    try:
        with transaction.atomic():
            person = person_register(actor=actor, request=request, **values)
            case = case_open(actor=actor, person=person, request=request, **_case_values(change.fields))
    except PermissionDenied as error:
        # The refusal's audit entry was rolled back with the person: written again, outside.
        audit_refusal(actor, Perm.CASE_CREATE, object_type="cases.case", request=request)
        return refusal(error)
    message = gettext("Person %(code)s registered and case %(number)s opened.") % {
        "code": person.person_code,
        "number": case.case_number,
    }
    return Outcome(ChangeStatus.APPLIED, message, case=str(case.public_id), person=str(person.public_id))


def register_apply(actor, change: Change, request) -> Outcome:
    """Apply a register change: the chosen person, a confirmed new person, or search first."""
    if change.fields.get("person"):
        return _existing(actor, change, request)
    values = _person_values(change.fields)
    if change.fields.get("decision") != NEW_PERSON:
        try:
            review = _review(actor, values, request)
        except ValidationError as error:
            return refusal(error)
        if review is not None:
            return review
    return _new(actor, values, change, request)
