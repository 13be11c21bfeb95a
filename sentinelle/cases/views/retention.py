"""Keep a person's identity past the retention period, or lift that hold (cases/services/retention.py)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sentinelle.cases.forms import ReasonForm
from sentinelle.cases.selectors.cases import case_get
from sentinelle.cases.services.retention import case_retention_hold, case_retention_release
from sentinelle.core.forms import errors_shown_as_messages
from sentinelle.core.permissions import Perm, require_perm


@require_perm(Perm.CASE_EDIT)
@require_POST
def retention_hold(request, public_id):
    case = case_get(user=request.user, public_id=public_id, request=request)
    form = ReasonForm(request.POST, prefix="retention")
    if not form.is_valid():
        messages.error(request, _("Say why the identity must be kept."))
    else:
        with errors_shown_as_messages(request):
            case_retention_hold(
                actor=request.user, case=case, reason=form.cleaned_data["reason"], request=request
            )
            messages.success(request, _("The identity will be kept until the hold is lifted."))
    return redirect("cases:case-detail", public_id=case.public_id)


@require_perm(Perm.CASE_EDIT)
@require_POST
def retention_release(request, public_id):
    case = case_get(user=request.user, public_id=public_id, request=request)
    with errors_shown_as_messages(request):
        case_retention_release(actor=request.user, case=case, request=request)
        messages.success(
            request, _("Hold lifted: the identity will be erased at the end of the retention period.")
        )
    return redirect("cases:case-detail", public_id=case.public_id)
