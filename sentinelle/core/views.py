"""Home, health check, language switch and the audit log."""

from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.i18n import set_language as django_set_language

from sentinelle.core import health, selectors
from sentinelle.core.forms import AuditFilterForm
from sentinelle.core.home import home_sections
from sentinelle.core.models import Role
from sentinelle.core.permissions import Perm, public, require_perm, roles_of


@require_perm(Perm.HOME_VIEW)
def home(request):
    return render(
        request,
        "core/home.html",
        {
            "sections": home_sections(request.user),
            "roles": roles_of(request.user),
            "role_labels": [Role(role).label for role in Role.values if role in roles_of(request.user)],
        },
    )


@public
@never_cache
@require_safe
def healthz(request):
    checks = health.health_checks()
    ok = health.healthy(checks)
    return JsonResponse({"status": "ok" if ok else "failing", "checks": checks}, status=200 if ok else 503)


set_language = public(django_set_language)


@require_perm(Perm.AUDIT_VIEW)
def audit_list(request):
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = selectors.audit_entry_list(user=request.user, **{k: v for k, v in filters.items() if v})
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    if request.htmx:
        return render(request, "core/partials/_audit_rows.html", {"form": form, "page": page})
    failures = selectors.task_failure_list(user=request.user)
    return render(request, "core/audit_list.html", {"form": form, "page": page, "task_failures": failures})
