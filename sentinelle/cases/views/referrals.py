"""Referrals: the referring side (choose a type, a service serving the person's commune, the harmonised
form; print for a service outside Sentinelle) and the receiving side (the focal point's queue, accept,
decline with a reason, complete with the service given), which never sees the case."""

from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sentinelle.cases import printing
from sentinelle.cases.forms import ReasonForm, ReferralForm, ServiceGivenForm, ServiceTypeForm
from sentinelle.cases.models import ReferralStatus
from sentinelle.cases.selectors.cases import case_get
from sentinelle.cases.selectors.referrals import (
    referral_get,
    referral_queue_page,
    referral_received_get,
    referral_to_handle_get,
)
from sentinelle.cases.services import referrals as services
from sentinelle.core.forms import errors_shown_as_messages, errors_shown_on
from sentinelle.core.permissions import Perm, require_perm
from sentinelle.directory.models import ServiceType
from sentinelle.directory.selectors import referral_pathway

_ANY_ID = UUID(int=0)
QUEUE_STATUSES = ("pending", "open", "accepted", "declined", "completed", "cancelled", "all")


@require_perm(Perm.REFERRAL_CREATE)
def referral_create(request, public_id):
    """GET ?type=<service type> (a code, never a name) chooses the form; POST sends the referral."""
    case = case_get(user=request.user, public_id=public_id, request=request)
    type_form = ServiceTypeForm(request.GET or None)
    service_type = type_form.cleaned_data["type"] if type_form.is_valid() else None
    context = {"case": case, "type_form": type_form, "form": None}
    if service_type:
        # The referral pathway of the case's commune: active services serving it, nearest first.
        groups = referral_pathway(user=request.user, area=case.area, service_types=[service_type])
        form = ReferralForm(
            request.POST if request.method == "POST" else None,
            service_type=service_type,
            entries=groups[0].entries if groups else [],
        )
        if request.method == "POST" and form.is_valid():
            with errors_shown_on(form):
                referral = services.referral_create(
                    actor=request.user, case=case, request=request, **form.arguments()
                )
                messages.success(
                    request, _("Referral %(reference)s sent.") % {"reference": referral.reference}
                )
                if referral.service_id is None:
                    return redirect("cases:referral-print", public_id=referral.public_id)
                return redirect("cases:case-detail", public_id=case.public_id)
        context.update(form=form, service_type_label=ServiceType(service_type).label)
    return render(request, "cases/referral_form.html", context)


@require_perm(Perm.REFERRAL_VIEW)
def referral_print(request, public_id, feedback_form=None):
    """The referral form to print and hand over (services outside Sentinelle): the minimum, no name;
    and, once the service has returned its feedback part, the form to record it."""
    context = printing.referral_print_context(user=request.user, public_id=public_id, request=request)
    context["feedback_form"] = feedback_form or ServiceGivenForm()
    return render(request, "cases/referral_print.html", context)


@require_perm(Perm.REFERRAL_CREATE)
@require_POST
def referral_feedback(request, public_id):
    """The referring case worker records the feedback a service outside Sentinelle returned, in one step
    (the service closes the referral; the policy decides who may)."""
    referral = referral_get(user=request.user, public_id=public_id, request=request)
    form = ServiceGivenForm(request.POST)
    if form.is_valid():
        with errors_shown_on(form):
            services.referral_complete(
                actor=request.user, referral=referral, request=request, **form.arguments()
            )
            messages.success(
                request, _("Feedback on referral %(reference)s recorded.") % {"reference": referral.reference}
            )
            return redirect("cases:referral-print", public_id=referral.public_id)
    response = referral_print(request, public_id, feedback_form=form)
    response.status_code = 400
    return response


@require_perm(Perm.REFERRAL_VIEW)
def referral_pdf(request, public_id):
    context = printing.referral_print_context(user=request.user, public_id=public_id, request=request)
    response = HttpResponse(printing.referral_pdf(context), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="reference-{context["referral"].reference}.pdf"'
    return response


@require_perm(Perm.REFERRAL_VIEW)
@require_POST
def referral_cancel(request, public_id):
    referral = referral_get(user=request.user, public_id=public_id, request=request)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write the reason for cancelling."))
    else:
        with errors_shown_as_messages(request):
            services.referral_cancel(
                actor=request.user, referral=referral, reason=form.cleaned_data["reason"], request=request
            )
            messages.success(request, _("Referral cancelled."))
    return redirect("cases:case-detail", public_id=referral.case.public_id)


# --- The receiving side ----------------------------------------------------------------------------


@require_perm(Perm.REFERRAL_RECEIVE)
def referral_queue(request):
    status = request.GET.get("status", "open")
    status = status if status in QUEUE_STATUSES else "open"
    page = referral_queue_page(user=request.user, status=status, page=request.GET.get("page"))
    # The link of each row: reversed once, not once per row.
    prefix, suffix = reverse("cases:referral-received", args=[_ANY_ID]).split(str(_ANY_ID))
    context = {
        "referrals": page.object_list,
        "received_url": (prefix, suffix),
        "page": page,
        "query": f"status={status}",
        "status": status,
        "statuses": [
            ("open", _("To handle")),
            ("pending", ReferralStatus.PENDING.label),
            ("accepted", ReferralStatus.ACCEPTED.label),
            ("completed", ReferralStatus.COMPLETED.label),
            ("declined", ReferralStatus.DECLINED.label),
            ("all", _("All")),
        ],
    }
    return render(request, "cases/referral_queue.html", context)


@require_perm(Perm.REFERRAL_RECEIVE)
def referral_received(request, public_id, decline_form=None, complete_form=None):
    referral = referral_received_get(user=request.user, public_id=public_id, request=request)
    context = {
        "referral": referral,
        "decline_form": decline_form or ReasonForm(),
        "complete_form": complete_form or ServiceGivenForm(),
    }
    return render(request, "cases/referral_received.html", context)


def _decide(request, public_id, form_class, form_name, call, done):
    referral = referral_to_handle_get(user=request.user, public_id=public_id)
    back = redirect("cases:referral-received", public_id=referral.public_id)
    if form_class is None:
        with errors_shown_as_messages(request):
            call(referral, {})
            messages.success(request, done % {"reference": referral.reference})
        return back
    form = form_class(request.POST)
    if form.is_valid():
        with errors_shown_on(form):  # shown next to what was typed, never dropped
            call(referral, form.cleaned_data)
            messages.success(request, done % {"reference": referral.reference})
            return back
    response = referral_received(request, public_id, **{form_name: form})
    response.status_code = 400
    return response


@require_perm(Perm.REFERRAL_RECEIVE)
@require_POST
def referral_accept(request, public_id):
    def call(referral, data):
        services.referral_accept(actor=request.user, referral=referral, request=request)

    return _decide(request, public_id, None, "", call, _("Referral %(reference)s accepted."))


@require_perm(Perm.REFERRAL_RECEIVE)
@require_POST
def referral_decline(request, public_id):
    def call(referral, data):
        services.referral_decline(
            actor=request.user, referral=referral, reason=data["reason"], request=request
        )

    return _decide(
        request, public_id, ReasonForm, "decline_form", call, _("Referral %(reference)s declined.")
    )


@require_perm(Perm.REFERRAL_RECEIVE)
@require_POST
def referral_complete(request, public_id):
    def call(referral, data):
        services.referral_complete(
            actor=request.user, referral=referral, request=request, **ServiceGivenForm.arguments_of(data)
        )

    return _decide(
        request, public_id, ServiceGivenForm, "complete_form", call, _("Referral %(reference)s completed.")
    )
