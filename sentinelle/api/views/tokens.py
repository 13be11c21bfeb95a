"""The page where each user manages their own API tokens (/compte/jetons-api/)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sentinelle.api import selectors, tokens
from sentinelle.core.permissions import Perm, require_perm


@require_perm(Perm.API_TOKEN_MANAGE)
@require_http_methods(["GET", "POST"])
def token_list(request):
    new_token = None
    if request.method == "POST":
        _api_token, new_token = tokens.api_token_create(
            actor=request.user, label=request.POST.get("label", ""), request=request
        )
    context = {
        "tokens": selectors.api_tokens_of(user=request.user),
        "new_token": new_token,
        "days": tokens.token_days(),
        "api_url": request.build_absolute_uri("/api/v1/"),
    }
    response = render(request, "api/token_list.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_perm(Perm.API_TOKEN_MANAGE)
@require_POST
def token_revoke(request, public_id):
    api_token = selectors.api_token_get(user=request.user, public_id=public_id, request=request)
    tokens.api_token_revoke(actor=request.user, api_token=api_token, request=request)
    messages.success(request, _("The token can no longer be used."))
    return redirect("api-pages:token-list")
