"""Access beyond one's scope: break the glass on a case of one's own organisation, or ask another
organisation for access to one of its cases, and that organisation's managers' queue of requests.

Both forms answer alike whether the number names a case or not (nothing is echoed back, the same message).
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sentinelle.cases.forms import AccessDecisionForm, AccessRequestForm, BreakGlassForm
from sentinelle.cases.selectors.access import access_request_get, access_request_queue, access_requests_of
from sentinelle.cases.selectors.cases import case_for_break_glass
from sentinelle.cases.services import case_access, case_team
from sentinelle.core.forms import errors_shown_as_messages, errors_shown_on
from sentinelle.core.permissions import Perm, require_perm


@require_perm(Perm.BREAK_GLASS)
def break_glass(request):
    form = BreakGlassForm(request.POST or None)
    not_found = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        case = case_for_break_glass(user=request.user, case_number=data["case_number"], request=request)
        if case is None:
            # An unknown number and another organisation's case answer alike; the number is not echoed.
            form = BreakGlassForm(initial={"reason": data["reason"], "hours": data["hours"]})
            not_found = True
        else:
            with errors_shown_on(form):
                case_team.break_glass_open(
                    actor=request.user, case=case, reason=data["reason"], hours=data["hours"], request=request
                )
                messages.warning(request, _("Access opened; the case worker is told, and it is recorded."))
                return redirect("cases:case-detail", public_id=case.public_id)
    return render(request, "cases/break_glass.html", {"form": form, "not_found": not_found})


@require_perm(Perm.BREAK_GLASS)
def access_request_create(request):
    """Ask for access to another organisation's case; below, the user's requests and their answers."""
    form = AccessRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with errors_shown_on(form):
            case_access.case_access_request(actor=request.user, request=request, **form.cleaned_data)
            messages.success(
                request,
                _(
                    "Your request was sent if the case exists: the managers of the organisation that holds "
                    "it decide. You will be told of their answer."
                ),
            )
            return redirect("cases:access-request-create")
    context = {"form": form, "requests": access_requests_of(user=request.user)}
    return render(request, "cases/access_request_form.html", context)


@require_perm(Perm.CASE_APPROVE)
def access_request_list(request):
    """Requests of other organisations' managers to read the cases of the user's organisation."""
    context = {"requests": access_request_queue(user=request.user)}
    return render(request, "cases/access_request_queue.html", context)


@require_perm(Perm.CASE_APPROVE)
@require_POST
def access_request_decide(request, public_id):
    access_request = access_request_get(user=request.user, public_id=public_id, request=request)
    form = AccessDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to grant or to refuse the request."))
        return redirect("cases:access-request-queue")
    data = form.cleaned_data
    with errors_shown_as_messages(request):
        if data["decision"] == "grant":
            decided = case_access.case_access_grant(
                actor=request.user, access_request=access_request, hours=data["hours"], request=request
            )
            until = formats.date_format(timezone.localtime(decided.expires_at), "DATETIME_FORMAT")
            messages.success(request, _("Access granted until %(until)s.") % {"until": until})
        else:
            case_access.case_access_refuse(
                actor=request.user, access_request=access_request, reason=data["reason"], request=request
            )
            messages.success(request, _("Request refused; the requester is told."))
    return redirect("cases:access-request-queue")
