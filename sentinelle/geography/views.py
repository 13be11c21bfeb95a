"""Geography pages: the area browser, an area's page with its map, and the COD versions."""

import uuid

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from sentinelle.core.permissions import Perm, area_limits, require_perm
from sentinelle.geography import selectors
from sentinelle.geography.fields import suggestion_options
from sentinelle.geography.models import AdminLevel

PAGE_SIZE = 100


def _public_id(value: str | None):
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        raise Http404 from None


@require_perm(Perm.GEOGRAPHY_VIEW)
def area_list(request):
    parent_id = _public_id(request.GET.get("parent"))
    parent = (
        selectors.area_get(user=request.user, public_id=parent_id, request=request) if parent_id else None
    )
    query = request.GET.get("q", "").strip()[:100]
    areas = selectors.area_list(user=request.user, parent=parent, query=query)
    page = Paginator(areas, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "geography/area_list.html",
        {
            "parent": parent,
            "ancestors": selectors.area_ancestors(parent) if parent else [],
            "query": query,
            "page": page,
            "version": parent.version if parent else selectors.cod_version_default(),
        },
    )


@require_perm(Perm.GEOGRAPHY_VIEW)
def area_detail(request, public_id):
    area = selectors.area_get(user=request.user, public_id=public_id, request=request)
    children = selectors.area_list(user=request.user, parent=area)
    return render(
        request,
        "geography/area_detail.html",
        {
            "area": area,
            "ancestors": selectors.area_ancestors(area),
            "names": selectors.area_names(area),
            "children": children,
            "settlement_count": selectors.area_settlement_count(area),
            "is_commune": area.level == AdminLevel.COMMUNE,
        },
    )


@require_perm(Perm.GEOGRAPHY_VIEW)
def version_list(request):
    return render(
        request,
        "geography/version_list.html",
        {"versions": selectors.version_list(user=request.user), "levels": list(AdminLevel)},
    )


@require_perm(Perm.GEOGRAPHY_VIEW)
def area_suggest(request):
    """The <option>s of an area picker for what was typed (geography/fields.py): the text is in the
    parameter named by `field`; `perm`, when given, limits them to the user's areas for that work."""
    text = request.GET.get(request.GET.get("field") or "q", "")[:100]
    try:
        perm = Perm(request.GET["perm"]) if request.GET.get("perm") else None
    except ValueError:
        raise Http404 from None
    levels = [int(level) for level in request.GET.get("levels", "").split(",") if level.strip().isdigit()]
    areas = selectors.area_suggestions(
        user=request.user,
        text=text,
        levels=levels or None,
        limits=area_limits(request.user, perm) if perm else None,
    )
    return render(request, "geography/partials/_area_options.html", {"options": suggestion_options(areas)})
