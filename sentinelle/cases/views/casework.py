"""More of a case: the case plan and its approval, IPA, transfers, who saw the case, and the exports
(downloads, audited by the export functions). Break the glass: views/access.py."""

from django.apps import apps
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sentinelle.cases import exports
from sentinelle.cases.forms import AssistanceForm, PlanForm, TransferForm
from sentinelle.cases.selectors.cases import case_get, case_who_saw
from sentinelle.cases.selectors.casework import (
    assistance_get,
    case_colleagues,
    case_plan_get,
    incident_recorder_organisation,
    transfer_received_get,
)
from sentinelle.cases.services import assistance as ipa
from sentinelle.cases.services import case_team
from sentinelle.cases.services import cases as services
from sentinelle.core.forms import errors_shown_as_messages, errors_shown_on
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, refuse, require_perm


def _back(case):
    return redirect("cases:case-detail", public_id=case.public_id)


def _object_label(object_type: str) -> str:
    """The translated name of a model label ("cases.person" -> "person"), for the who-saw page."""
    try:
        return apps.get_model(object_type)._meta.verbose_name
    except (LookupError, ValueError):
        return object_type


@require_perm(Perm.CASE_VIEW)
def who_saw(request, public_id):
    case = case_get(user=request.user, public_id=public_id, request=request)
    entries = case_who_saw(user=request.user, case=case)
    for entry in entries:
        entry["action_label"] = AuditAction(entry["action"]).label
        entry["object_label"] = _object_label(entry["object_type"])
    return render(request, "cases/who_saw.html", {"case": case, "entries": entries})


@require_perm(Perm.CASE_EDIT)
def plan_edit(request, public_id):
    case = case_get(user=request.user, public_id=public_id, request=request)
    form = PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with errors_shown_on(form):
            services.case_plan_save(actor=request.user, case=case, request=request, **form.arguments())
            messages.success(request, _("Case plan saved."))
            return _back(case)
    return render(request, "cases/plan_form.html", {"case": case, "form": form})


@require_perm(Perm.CASE_EDIT)
@require_POST
def plan_submit(request, public_id):
    plan = case_plan_get(user=request.user, public_id=public_id, request=request)
    with errors_shown_as_messages(request):
        services.case_plan_submit_for_approval(actor=request.user, plan=plan, request=request)
        messages.success(request, _("Case plan sent for approval."))
    return _back(plan.case)


@require_perm(Perm.CASE_EDIT)
@require_POST
def assistance_add(request, public_id):
    case = case_get(user=request.user, public_id=public_id, request=request)
    form = AssistanceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the assistance requested: kind, purpose, amount or items."))
        return _back(case)
    with errors_shown_as_messages(request):
        ipa.assistance_request(
            actor=request.user,
            case=case,
            request=request,
            kind=form.cleaned_data["kind"],
            purpose=form.cleaned_data["purpose"],
            amount_xof=form.cleaned_data["amount_xof"],
            items=form.cleaned_data["items"],
        )
        messages.success(request, _("Assistance requested."))
    return _back(case)


def _assistance_step(request, public_id, perm, call, done):
    assistance = assistance_get(user=request.user, public_id=public_id, perm=perm, request=request)
    with errors_shown_as_messages(request):
        call(assistance)
        messages.success(request, done)
    return _back(assistance.case)


@require_perm(Perm.CASE_APPROVE)
@require_POST
def assistance_approve(request, public_id):
    def call(assistance):
        ipa.assistance_approve(actor=request.user, assistance=assistance, request=request)

    return _assistance_step(request, public_id, Perm.CASE_APPROVE, call, _("Assistance approved."))


@require_perm(Perm.CASE_EDIT)
@require_POST
def assistance_disburse(request, public_id):
    def call(assistance):
        ipa.assistance_disburse(actor=request.user, assistance=assistance, request=request)

    return _assistance_step(request, public_id, Perm.CASE_EDIT, call, _("Disbursement recorded."))


@require_perm(Perm.CASE_EDIT)
def transfer_request(request, public_id):
    case = case_get(user=request.user, public_id=public_id, request=request)
    form = TransferForm(request.POST or None, users=case_colleagues(user=request.user))
    if request.method == "POST" and form.is_valid():
        with errors_shown_on(form):
            case_team.transfer_request(actor=request.user, case=case, request=request, **form.cleaned_data)
            messages.success(request, _("Transfer proposed."))
            return _back(case)
    return render(request, "cases/transfer_form.html", {"case": case, "form": form})


@require_perm(Perm.CASE_VIEW)
@require_POST
def transfer_answer(request, public_id):
    """The proposed case worker accepts or declines (only transfers addressed to them: 404 otherwise)."""
    transfer = transfer_received_get(user=request.user, public_id=public_id)
    if transfer is None:
        refuse(
            request.user,
            Perm.CASE_VIEW,
            message=_("Not found."),
            exception=Http404,
            object_type="cases.transfer",
            object_id=str(public_id),
            request=request,
        )
    with errors_shown_as_messages(request):
        if request.POST.get("decision") == "accept":
            case_team.transfer_accept(actor=request.user, transfer=transfer, request=request)
            messages.success(request, _("Case accepted: it is now yours."))
            return _back(transfer.case)
        case_team.transfer_decline(
            actor=request.user, transfer=transfer, reason=request.POST.get("reason", ""), request=request
        )
        messages.success(request, _("Transfer declined."))
    return redirect("cases:transfers")


def _download(export) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@require_perm(Perm.CASE_EXPORT)
def export_cases(request):
    fmt = "csv" if request.GET.get("format") == "csv" else "xlsx"
    return _download(exports.case_list_export(user=request.user, fmt=fmt, request=request))


@require_perm(Perm.CASE_EXPORT)
def export_incident_recorder(request):
    organisation = incident_recorder_organisation(user=request.user)
    return _download(
        exports.gbv_incident_recorder(user=request.user, organisation=organisation, request=request)
    )
