"""Family tracing: a family's request, the children proposed with their scores and reasons, the child's
case worker's decision, the reunification; and the referral statistics page."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sentinelle.cases.forms import ReunificationForm, StatisticsForm, TracingRequestForm
from sentinelle.cases.models import TracingRequest
from sentinelle.cases.selectors.cases import case_get
from sentinelle.cases.selectors.referrals import referral_statistics
from sentinelle.cases.selectors.tracing import (
    reasons_text,
    tracing_match_confirmed_for_case,
    tracing_match_get,
    tracing_matches_for_request,
    tracing_proposals_for_user,
    tracing_request_get,
    tracing_request_list,
)
from sentinelle.cases.services import tracing as services
from sentinelle.core.forms import errors_shown_as_messages, errors_shown_on
from sentinelle.core.permissions import Perm, has_perm, require_perm


@require_perm(Perm.TRACING_VIEW)
def tracing_list(request):
    context = {
        "requests": tracing_request_list(user=request.user)[:200],
        "proposals": tracing_proposals_for_user(user=request.user)
        if has_perm(request.user, Perm.TRACING_EDIT)
        else [],
        "can_create": has_perm(request.user, Perm.TRACING_EDIT),
    }
    return render(request, "cases/tracing_list.html", context)


@require_perm(Perm.TRACING_EDIT)
def tracing_create(request):
    form = TracingRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with errors_shown_on(form):
            tracing = services.tracing_request_create(actor=request.user, request=request, **form.arguments())
            messages.success(
                request, _("Tracing request %(reference)s recorded.") % {"reference": tracing.reference}
            )
            return redirect("cases:tracing-detail", public_id=tracing.public_id)
    return render(request, "cases/tracing_form.html", {"form": form})


@require_perm(Perm.TRACING_VIEW)
def tracing_detail(request, public_id):
    tracing = tracing_request_get(user=request.user, public_id=public_id, request=request)
    matches = tracing_matches_for_request(user=request.user, tracing_request=tracing)
    rows = [(match, reasons_text(match.reasons)) for match in matches]
    context = {
        "tracing": tracing,
        "rows": rows,
        "can_edit": tracing.status == TracingRequest.Status.OPEN
        and has_perm(request.user, Perm.TRACING_EDIT, tracing),
    }
    return render(request, "cases/tracing_detail.html", context)


@require_perm(Perm.TRACING_EDIT)
@require_POST
def tracing_close(request, public_id):
    tracing = tracing_request_get(user=request.user, public_id=public_id, request=request)
    with errors_shown_as_messages(request):
        services.tracing_request_close(actor=request.user, tracing_request=tracing, request=request)
    return redirect("cases:tracing-detail", public_id=tracing.public_id)


@require_perm(Perm.TRACING_EDIT)
@require_POST
def match_decide(request, match_id):
    """The child's case worker confirms or rejects a proposed match (on the child's case page)."""
    match = tracing_match_get(user=request.user, match_id=match_id, perm=Perm.TRACING_EDIT, request=request)
    with errors_shown_as_messages(request):
        if request.POST.get("decision") == "confirm":
            services.tracing_match_confirm(actor=request.user, match=match, request=request)
            messages.success(request, _("Match confirmed: record the reunification when it happens."))
        else:
            services.tracing_match_reject(actor=request.user, match=match, request=request)
            messages.success(request, _("Match rejected: it will not be proposed again."))
    return redirect("cases:case-detail", public_id=match.case.public_id)


@require_perm(Perm.TRACING_EDIT)
@require_POST
def reunification_add(request, public_id):
    case = case_get(user=request.user, public_id=public_id, request=request)
    form = ReunificationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the date and the outcome of the reunification."))
        return redirect("cases:case-detail", public_id=case.public_id)
    match = tracing_match_confirmed_for_case(user=request.user, case=case)
    with errors_shown_as_messages(request):
        services.reunification_record(
            actor=request.user, case=case, match=match, request=request, **form.cleaned_data
        )
        messages.success(request, _("Reunification recorded."))
    return redirect("cases:case-detail", public_id=case.public_id)


@require_perm(Perm.CASE_STATS)
def referral_stats(request):
    form = StatisticsForm(request.GET or None)
    filters = {k: v for k, v in form.cleaned_data.items() if v} if form.is_valid() else {}
    statistics = referral_statistics(user=request.user, filters=filters)
    dimensions = [
        (_("By type of service"), statistics["by_service_type"]),
        (_("By receiving organisation"), statistics["by_organisation"]),
        (_("By area"), statistics["by_area"]),
    ]
    return render(
        request,
        "cases/referral_statistics.html",
        {"form": form, "statistics": statistics, "dimensions": dimensions},
    )
