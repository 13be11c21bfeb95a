"""Directory pages: search by place and type, a service, its edition, referral pathways, print, export.

Views stay thin: parse, authorise (the decorator, then the selectors and services through the policy),
call, render. Services are reference data that every signed-in role may read; only the provider's
managers and focal points, the IMO and administrators change them.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sentinelle.core.forms import errors_shown_as_messages, errors_shown_on
from sentinelle.core.permissions import Perm, has_perm, require_perm
from sentinelle.directory import exports, printing, selectors, services
from sentinelle.directory.forms import FocalPointsForm, SearchForm, ServiceForm
from sentinelle.directory.models import ServiceType

PAGE_SIZE = 50


def _search(request) -> dict:
    """The search form, the place it names and the matching services (shared by the page and export)."""
    form = SearchForm(request.GET or None, cercles=selectors.cercle_choices())
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    match = selectors.PlaceMatch()
    chosen = data.get("area") or data.get("cercle")
    if chosen:
        match.area = selectors.place_get(chosen)
    elif data.get("place"):
        match = selectors.place_find(data["place"])
    services_found = None
    unknown_place = bool(data.get("place")) and match.area is None
    if not match.candidates and not unknown_place:
        services_found = selectors.service_list(
            user=request.user,
            area=match.area,
            service_type=data.get("type") or None,
            status=form.status_filter() if data else "active",
            q=data.get("q", ""),
        )
    return {"form": form, "match": match, "services": services_found, "searched": bool(request.GET)}


@require_perm(Perm.SERVICE_VIEW)
def service_list(request):
    context = _search(request)
    if context["services"] is not None:
        context["page"] = Paginator(context["services"], PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context["query"] = query.urlencode()
    context["can_create"] = has_perm(request.user, Perm.SERVICE_MANAGE)
    return render(request, "directory/service_list.html", context)


@require_perm(Perm.SERVICE_VIEW)
def service_export(request):
    context = _search(request)
    if context["services"] is None:
        raise Http404(_("Choose one place first."))
    content, _count = exports.services_export(
        user=request.user, services=context["services"], request=request
    )
    response = HttpResponse(content, content_type=exports.XLSX_TYPE)
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="sentinelle-services-{stamp}.xlsx"'
    return response


@require_perm(Perm.SERVICE_VIEW)
def service_detail(request, public_id):
    service = selectors.service_get(user=request.user, public_id=public_id, request=request)
    can_manage = has_perm(request.user, Perm.SERVICE_MANAGE, service)
    focal_form = None
    if can_manage:
        focal_form = FocalPointsForm(
            members=selectors.focal_point_choices(user=request.user, service=service),
            initial={"focal_points": list(service.focal_points.all())},
        )
    context = {
        "service": service,
        "areas_served": selectors.service_areas_served(service),
        "can_manage": can_manage,
        "focal_form": focal_form,
    }
    return render(request, "directory/service_detail.html", context)


@require_perm(Perm.SERVICE_MANAGE)
@require_http_methods(["GET", "POST"])
def service_create(request):
    form = ServiceForm(request.POST or None, providers=selectors.provider_choices(user=request.user))
    if request.method == "POST" and form.is_valid():
        with errors_shown_on(form):
            service = services.service_create(
                actor=request.user,
                **form.cleaned_data,
                last_verified_on=timezone.localdate(),
                request=request,
            )
            messages.success(request, _("The service is in the directory. Choose its focal points."))
            return redirect("directory:service-detail", public_id=service.public_id)
    return render(request, "directory/service_form.html", {"form": form, "service": None})


@require_perm(Perm.SERVICE_MANAGE)
@require_http_methods(["GET", "POST"])
def service_edit(request, public_id):
    service = selectors.service_get(
        user=request.user, public_id=public_id, request=request, perm=Perm.SERVICE_MANAGE
    )
    form = ServiceForm(
        request.POST or None,
        providers=selectors.provider_choices(user=request.user),
        initial=ServiceForm.initial_for(service),
    )
    if request.method == "POST" and form.is_valid():
        with errors_shown_on(form):
            services.service_update(
                actor=request.user,
                service=service,
                **form.cleaned_data,
                source_id=service.source_id,
                last_verified_on=service.last_verified_on,
                request=request,
            )
            messages.success(request, _("The service is updated."))
            return redirect("directory:service-detail", public_id=service.public_id)
    return render(request, "directory/service_form.html", {"form": form, "service": service})


def _managed(request, public_id):
    return selectors.service_get(
        user=request.user, public_id=public_id, request=request, perm=Perm.SERVICE_MANAGE
    )


@require_perm(Perm.SERVICE_MANAGE)
@require_POST
def service_verify(request, public_id):
    service = services.service_verify(
        actor=request.user, service=_managed(request, public_id), request=request
    )
    messages.success(request, _("Details marked as checked today."))
    return redirect("directory:service-detail", public_id=service.public_id)


@require_perm(Perm.SERVICE_MANAGE)
@require_POST
def service_archive(request, public_id):
    services.service_archive(actor=request.user, service=_managed(request, public_id), request=request)
    messages.success(request, _("The service is archived: it no longer appears in the directory."))
    return redirect("directory:service-list")


@require_perm(Perm.SERVICE_MANAGE)
@require_POST
def service_focal_points(request, public_id):
    service = _managed(request, public_id)
    form = FocalPointsForm(
        request.POST, members=selectors.focal_point_choices(user=request.user, service=service)
    )
    if form.is_valid():
        with errors_shown_as_messages(request):
            services.service_set_focal_points(
                actor=request.user, service=service, users=form.cleaned_data["focal_points"], request=request
            )
            messages.success(request, _("Focal points saved."))
    else:
        messages.error(request, " ".join(str(e) for e in form.errors.get("focal_points", [])))
    return redirect("directory:service-detail", public_id=service.public_id)


def _area_or_404(public_id):
    area = selectors.place_get(public_id)
    if area is None:
        raise Http404(_("Not found."))
    return area


def _types(request) -> list[str] | None:
    types = [value for value in request.GET.getlist("type") if value in ServiceType.values]
    return types or None


@require_perm(Perm.SERVICE_VIEW)
def pathway(request, area_id):
    area = _area_or_404(area_id)
    types = _types(request)
    groups = selectors.referral_pathway(user=request.user, area=area, service_types=types)
    context = {
        "area": area,
        "groups": groups,
        "types": types or [],
        "type_choices": ServiceType.choices,
        "service_count": sum(len(group.entries) for group in groups),
    }
    return render(request, "directory/pathway.html", context)


@require_perm(Perm.SERVICE_VIEW)
def pathway_print(request, area_id):
    area = _area_or_404(area_id)
    context = printing.print_context(user=request.user, area=area, service_types=_types(request))
    return render(request, "directory/pathway_print.html", context)


@require_perm(Perm.SERVICE_VIEW)
def pathway_pdf(request, area_id):
    area = _area_or_404(area_id)
    content = printing.pathway_pdf(user=request.user, area=area, service_types=_types(request))
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="parcours-{area.pcode}.pdf"'
    return response
