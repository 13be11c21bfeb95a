"""One case: its file (step, tasks, assessment, consent, notes, referrals) and the actions recorded on it.

Each action is a POST that calls one service and comes back to the case; a refused state change is
explained in a message, a refused user gets 403 or 404 from the policy.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sentinelle.cases.forms import (
    AssessmentForm,
    AssistanceForm,
    CloseForm,
    ConsentForm,
    FollowUpForm,
    NoteForm,
    ReunificationForm,
)
from sentinelle.cases.models import CaseStatus, CaseStep, CaseType
from sentinelle.cases.selectors.cases import case_file, case_get
from sentinelle.cases.selectors.casework import approval_get, task_get
from sentinelle.cases.selectors.tracing import reasons_text, reunifications_for_case, tracing_matches_for_case
from sentinelle.cases.services import cases as services
from sentinelle.cases.services.consent import consent_record
from sentinelle.cases.views.more import case_more_context
from sentinelle.core.forms import errors_shown_as_messages, errors_shown_on
from sentinelle.core.permissions import Perm, has_perm, require_perm
from sentinelle.directory.selectors import provider_list


def case_context(request, case, **forms) -> dict:
    user = request.user
    context = case_file(user=user, case=case)
    editable = case.status == CaseStatus.OPEN and has_perm(user, Perm.CASE_EDIT, case)
    context.update(
        step_label=CaseStep(context["step"]).label,
        can_edit=editable,
        can_refer=editable and has_perm(user, Perm.REFERRAL_CREATE, case),
        can_approve=has_perm(user, Perm.CASE_APPROVE, case),
        assessment_form=forms.get("assessment_form") or AssessmentForm(),
        consent_form=forms.get("consent_form") or _consent_form(user),
        note_form=forms.get("note_form") or NoteForm(),
        follow_up_form=forms.get("follow_up_form") or FollowUpForm(),
        close_form=forms.get("close_form") or CloseForm(),
        assistance_form=AssistanceForm(),
        **_tracing(user, case),
        **case_more_context(user, case),
    )
    return context


def _consent_form(user, data=None) -> ConsentForm:
    return ConsentForm(data, providers=provider_list(user=user))


def _tracing(user, case) -> dict:
    """Tracing matches and reunifications of a child-protection case, for its case worker."""
    if case.case_type != CaseType.CHILD_PROTECTION or not has_perm(user, Perm.TRACING_VIEW):
        return {}
    matches = tracing_matches_for_case(user=user, case=case)
    return {
        "tracing_matches": [(match, reasons_text(match.reasons)) for match in matches],
        "reunifications": list(reunifications_for_case(user=user, case=case)),
        "can_trace": has_perm(user, Perm.TRACING_EDIT, case),
        "reunification_form": ReunificationForm(),
    }


@require_perm(Perm.CASE_VIEW)
def case_detail(request, public_id):
    case = case_get(user=request.user, public_id=public_id, request=request)
    return render(request, "cases/case_detail.html", case_context(request, case))


def _action(request, public_id, form_class, name: str, call, done: str):
    """Validate the form, call the service; on bad input show the case again with the errors."""
    case = case_get(user=request.user, public_id=public_id, request=request)
    form = form_class(request.POST)
    if form.is_valid():
        with errors_shown_on(form):
            messages.success(request, call(case, form.cleaned_data) or done)
            return redirect("cases:case-detail", public_id=case.public_id)
    response = render(request, "cases/case_detail.html", case_context(request, case, **{name: form}))
    response.status_code = 400
    return response


@require_perm(Perm.CASE_EDIT)
@require_POST
def assessment_add(request, public_id):
    def call(case, data):
        services.assessment_record(actor=request.user, case=case, request=request, **data)

    return _action(request, public_id, AssessmentForm, "assessment_form", call, _("Assessment recorded."))


@require_perm(Perm.CASE_EDIT)
@require_POST
def consent_add(request, public_id):
    def call(case, data):
        consent_record(actor=request.user, person=case.person, case=case, request=request, **data)

    def form(data):
        return _consent_form(request.user, data)

    return _action(request, public_id, form, "consent_form", call, _("Consent recorded."))


@require_perm(Perm.CASE_EDIT)
@require_POST
def note_add(request, public_id):
    def call(case, data):
        services.note_add(actor=request.user, case=case, text=data["text"], request=request)

    return _action(request, public_id, NoteForm, "note_form", call, _("Note added."))


@require_perm(Perm.CASE_EDIT)
@require_POST
def follow_up_add(request, public_id):
    def call(case, data):
        services.follow_up_record(actor=request.user, case=case, request=request, **data)

    return _action(request, public_id, FollowUpForm, "follow_up_form", call, _("Follow-up recorded."))


@require_perm(Perm.CASE_EDIT)
@require_POST
def case_close(request, public_id):
    def call(case, data):
        case = services.case_close(actor=request.user, case=case, request=request, **data)
        if case.status != CaseStatus.CLOSED:
            return _("The closure was sent to a manager for approval.")
        return None

    return _action(request, public_id, CloseForm, "close_form", call, _("Case closed."))


@require_perm(Perm.CASE_EDIT)
@require_POST
def task_done(request, public_id):
    task = task_get(user=request.user, public_id=public_id, request=request)
    with errors_shown_as_messages(request):
        services.task_complete(actor=request.user, task=task, request=request)
        messages.success(request, _("Task done."))
    return redirect("cases:case-detail", public_id=task.case.public_id)


@require_perm(Perm.CASE_APPROVE)
@require_POST
def approval_decide(request, public_id):
    approval = approval_get(user=request.user, public_id=public_id, request=request)
    approve = request.POST.get("decision") == "approve"
    with errors_shown_as_messages(request):
        services.approval_decide(
            actor=request.user,
            approval=approval,
            approve=approve,
            note=request.POST.get("note", "")[:2000],
            request=request,
        )
        messages.success(request, _("Approved.") if approve else _("Returned for changes."))
    return redirect("cases:case-detail", public_id=approval.case.public_id)
