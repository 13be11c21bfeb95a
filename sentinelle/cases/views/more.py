"""Corrections on persons and cases: merge duplicate persons (and undo), withdraw a consent, set a case's
collaborators, reopen a closed case. Each is a POST calling one service, which checks and audits."""

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sentinelle.cases.forms import CollaboratorsForm, ReasonForm
from sentinelle.cases.models import CaseStatus, Person
from sentinelle.cases.selectors.cases import case_get
from sentinelle.cases.selectors.casework import case_collaborator_choices, case_consent_get
from sentinelle.cases.selectors.merges import person_merge_candidates, person_merge_get, person_to_merge_get
from sentinelle.cases.selectors.persons import (
    SearchThrottled,
    person_get,
)
from sentinelle.cases.services import case_team
from sentinelle.cases.services.cases import case_reopen as reopen
from sentinelle.cases.services.consent import consent_withdraw as withdraw
from sentinelle.cases.services.persons import person_merge as merge_persons
from sentinelle.cases.services.persons import person_merge_undo
from sentinelle.cases.services.retention import retention_months
from sentinelle.core.forms import errors_shown_as_messages
from sentinelle.core.permissions import Perm, ensure, has_perm, refuse, require_perm


def _back(case):
    return redirect("cases:case-detail", public_id=case.public_id)


# --- Persons: merge and undo ---------------------------------------------------------------------


def _person_to_merge(request, public_id) -> Person:
    """The person whose page this is: read through the selector (audited, 404 alike), then the user must
    be allowed to merge it (403)."""
    person = person_get(user=request.user, public_id=public_id, request=request)
    ensure(request.user, Perm.PERSON_MERGE, person, request=request)
    return person


def _not_found(request, perm: Perm, object_type: str, object_id: str = ""):
    refuse(
        request.user,
        perm,
        message=_("Not found."),
        exception=Http404,
        object_type=object_type,
        object_id=object_id[:64],
        request=request,
    )


def _duplicate(request, value) -> Person:
    """The record chosen to be merged, among those the user may merge (404 alike otherwise)."""
    try:
        public_id = uuid.UUID(str(value))
    except ValueError:
        _not_found(request, Perm.PERSON_MERGE, "cases.person")
    return person_to_merge_get(user=request.user, public_id=public_id, request=request)


def merge_candidates(request, person: Person) -> list:
    """The probable duplicates of this person that the user may merge; none, with the reason in a
    message, when searching is paused for the user."""
    try:
        return person_merge_candidates(user=request.user, person=person, request=request)
    except SearchThrottled as error:
        messages.error(request, str(error))
        return []


@require_perm(Perm.PERSON_MERGE)
def person_merge(request, public_id):
    """GET: the probable duplicates of this person; POST: merge the chosen one into it."""
    person = _person_to_merge(request, public_id)
    if person.merged_into_id is not None:
        messages.error(request, _("This record was merged into another one: merge into that one."))
        return redirect("cases:person-detail", public_id=person.public_id)
    if request.method == "POST":
        chosen = _duplicate(request, request.POST.get("merged", ""))
        with errors_shown_as_messages(request):
            merge_persons(actor=request.user, kept=person, merged=chosen, request=request)
            messages.success(
                request, _("Record %(code)s merged into this one.") % {"code": chosen.person_code}
            )
            return redirect("cases:person-detail", public_id=person.public_id)
    context = {"person": person, "candidates": merge_candidates(request, person)}
    return render(request, "cases/person_merge.html", context)


@require_perm(Perm.PERSON_MERGE)
@require_POST
def person_merge_cancel(request, public_id, merge_id):
    """Undo one merge into this person (merges are listed on the person page)."""
    person = _person_to_merge(request, public_id)
    merge = None
    if merge_id.isdigit():
        merge = person_merge_get(user=request.user, person=person, merge_id=int(merge_id))
    if merge is None:
        _not_found(request, Perm.PERSON_MERGE, "cases.personmerge", merge_id)
    with errors_shown_as_messages(request):
        person_merge_undo(actor=request.user, merge=merge, request=request)
        messages.success(
            request,
            _("Merge undone: %(code)s is a record of its own again.") % {"code": merge.merged.person_code},
        )
    return redirect("cases:person-detail", public_id=person.public_id)


# --- Case: consent, collaborators, reopening ------------------------------------------------------


@require_perm(Perm.CASE_EDIT)
@require_POST
def consent_withdraw(request, public_id, consent_id):
    case = case_get(user=request.user, public_id=public_id, request=request)
    consent = case_consent_get(user=request.user, case=case, public_id=consent_id)
    if consent is None:
        _not_found(request, Perm.CASE_EDIT, "cases.consent", str(consent_id))
    ensure(request.user, Perm.CASE_EDIT, case, request=request)
    with errors_shown_as_messages(request):
        withdraw(actor=request.user, consent=consent, request=request)
        messages.success(request, _("Consent withdrawn; the referrals relying on it were cancelled."))
    return _back(case)


def collaborators_form(user, case, data=None) -> CollaboratorsForm:
    users = case_collaborator_choices(user=user, case=case)
    return CollaboratorsForm(data, users=users, initial={"collaborators": list(case.collaborators.all())})


def case_more_context(user, case) -> dict:
    """What the case page needs for these actions."""
    allowed = case_team.may_assign(user, case)
    return {
        "can_assign": allowed,
        "collaborators_form": collaborators_form(user, case) if allowed else None,
        "can_reopen": case.status == CaseStatus.CLOSED and has_perm(user, Perm.CASE_EDIT, case),
        "reopen_form": ReasonForm(),
        # Retention: who may edit the case may keep its person's identity past the period, or lift it.
        "can_hold_identity": has_perm(user, Perm.CASE_EDIT, case) and case.person.identity_erased_at is None,
        "retention_months": retention_months().get(case.case_type),
        "retention_form": ReasonForm(prefix="retention"),
    }


@require_perm(Perm.CASE_EDIT)
@require_POST
def case_collaborators(request, public_id):
    case = case_get(user=request.user, public_id=public_id, request=request)
    if not case_team.may_assign(request.user, case):
        refuse(request.user, Perm.CASE_APPROVE, obj=case, request=request)
    form = collaborators_form(request.user, case, request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose collaborators among the case workers of the organisation."))
        return _back(case)
    with errors_shown_as_messages(request):
        case_team.case_assign(
            actor=request.user, case=case, collaborators=form.cleaned_data["collaborators"], request=request
        )
        messages.success(request, _("Collaborators saved."))
    return _back(case)


@require_perm(Perm.CASE_EDIT)
@require_POST
def case_reopen(request, public_id):
    case = case_get(user=request.user, public_id=public_id, request=request)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the case is reopened."))
        return _back(case)
    with errors_shown_as_messages(request):
        reopen(actor=request.user, case=case, reason=form.cleaned_data["reason"], request=request)
        messages.success(request, _("Case reopened."))
    return _back(case)
