"""Error pages rendered with the site's layout (and without leaking anything); the API answers JSON."""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

API_PREFIX = "/api/"


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


class QueryLimitMiddleware:
    """A query string with more parameters than Django will parse (DATA_UPLOAD_MAX_NUMBER_FIELDS) is
    answered 400 here, before any view or error page touches request.GET: otherwise Django raises while
    building the response (with DEBUG on, its own error page reads the parameters again and fails)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        query = request.META.get("QUERY_STRING", "")
        if limit is not None and query.count("&") + query.count(";") >= limit:
            return bad_request(request)
        return self.get_response(request)


def bad_request(request, exception=None):
    if _is_api(request):
        return JsonResponse({"detail": _("The request was malformed or too large.")}, status=400)
    return render(request, "400.html", status=400)


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
