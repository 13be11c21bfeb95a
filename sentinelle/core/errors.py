"""Error pages rendered with the site's layout (and without leaking anything); the API answers JSON."""

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

API_PREFIX = "/api/"


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def forbidden(request, exception=None):
    if _is_api(request):
        return JsonResponse({"detail": _("You do not have permission to perform this action.")}, status=403)
    return render(request, "403.html", status=403)


def not_found(request, exception=None):
    if _is_api(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return render(request, "404.html", status=404)


def server_error(request):
    if _is_api(request):
        return JsonResponse({"detail": _("Server error.")}, status=500)
    return render(request, "500.html", status=500)
