"""Possible duplicates between sources: the IMO sees pairs side by side and links or dismisses them."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sentinelle.core.forms import errors_shown_as_messages
from sentinelle.core.pagination import page_query
from sentinelle.core.permissions import Perm, require_perm
from sentinelle.monitoring.models import DuplicateCandidate
from sentinelle.monitoring.selectors import duplicates as selectors
from sentinelle.monitoring.services import duplicates as services

# A page of pairs stays within a few screens: each pair is a comparison table to read closely.
PAGE_SIZE = 8


@require_perm(Perm.DUPLICATE_REVIEW)
def duplicate_list(request):
    status = request.GET.get("status", DuplicateCandidate.Status.PENDING)
    if status not in DuplicateCandidate.Status.values:
        status = DuplicateCandidate.Status.PENDING
    page = selectors.duplicate_candidates_page(
        user=request.user, status=status, number=request.GET.get("page"), per_page=PAGE_SIZE
    )
    return render(
        request,
        "monitoring/duplicate_list.html",
        {
            "page": page,
            "page_query": page_query(request),
            "status": status,
            "statuses": DuplicateCandidate.Status.choices,
        },
    )


def _decide(request, action, done: str):
    with errors_shown_as_messages(request):
        action()
        messages.success(request, done)
    return redirect("monitoring:duplicate-list")


@require_perm(Perm.DUPLICATE_REVIEW)
@require_POST
def duplicate_link(request, first, second):
    candidate = selectors.duplicate_candidate_get(user=request.user, first=first, second=second)
    return _decide(
        request,
        lambda: services.duplicate_link(actor=request.user, candidate=candidate, request=request),
        _("Linked: the two reports now count as one event."),
    )


@require_perm(Perm.DUPLICATE_REVIEW)
@require_POST
def duplicate_dismiss(request, first, second):
    candidate = selectors.duplicate_candidate_get(user=request.user, first=first, second=second)
    return _decide(
        request,
        lambda: services.duplicate_dismiss(actor=request.user, candidate=candidate, request=request),
        _("Dismissed: the two reports stay separate events."),
    )
