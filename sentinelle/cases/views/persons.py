"""Persons: search before create (POST: names never travel in URLs), registration, one person's record."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sentinelle.cases.forms import CaseOpenForm, PersonForm
from sentinelle.cases.selectors.cases import person_cases
from sentinelle.cases.selectors.merges import person_merges
from sentinelle.cases.selectors.persons import (
    SearchThrottled,
    duplicate_hint,
    person_get,
    person_lookup,
)
from sentinelle.cases.services.cases import case_open as open_case
from sentinelle.cases.services.persons import person_register
from sentinelle.core.forms import errors_shown_as_messages, errors_shown_on
from sentinelle.core.permissions import Perm, has_perm, require_perm


@require_perm(Perm.PERSON_CREATE)
def person_find(request):
    """Search first; the same data, completed, registers a new person only after a search was shown.
    Searching is throttled per user: past the rate, the search is not run (429, the reason shown)."""
    form = PersonForm(request.POST or None, user=request.user)
    context = {"form": form, "searched": False}
    status = 200
    if request.method == "POST" and form.is_valid():
        if "register" in request.POST:
            with errors_shown_on(form):
                person = person_register(actor=request.user, request=request, **form.registration())
                messages.success(request, _("Person %(code)s registered.") % {"code": person.person_code})
                return redirect("cases:person-detail", public_id=person.public_id)
        try:
            found = person_lookup(user=request.user, request=request, **form.query())
        except SearchThrottled as error:
            form.add_error(None, str(error))
            status = 429
        else:
            context.update(searched=True, candidates=found.candidates, hint=duplicate_hint(found.elsewhere))
    return render(request, "cases/person_find.html", context, status=status)


@require_perm(Perm.PERSON_VIEW)
def person_detail(request, public_id):
    person = person_get(user=request.user, public_id=public_id, request=request)
    context = {
        "person": person,
        "cases": person_cases(user=request.user, person=person),
        "open_form": CaseOpenForm() if has_perm(request.user, Perm.CASE_CREATE) else None,
        "can_merge": person.merged_into_id is None and has_perm(request.user, Perm.PERSON_MERGE, person),
        "merges": list(person_merges(user=request.user, person=person)),
    }
    return render(request, "cases/person_detail.html", context)


@require_perm(Perm.CASE_CREATE)
@require_POST
def case_open(request, public_id):
    person = person_get(user=request.user, public_id=public_id, request=request)
    form = CaseOpenForm(request.POST)
    if form.is_valid():
        with errors_shown_as_messages(request):
            case = open_case(actor=request.user, person=person, request=request, **form.cleaned_data)
            messages.success(request, _("Case %(number)s opened.") % {"number": case.case_number})
            return redirect("cases:case-detail", public_id=case.public_id)
    else:
        messages.error(request, _("Choose the type of case."))
    return redirect("cases:person-detail", public_id=person.public_id)
