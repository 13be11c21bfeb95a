"""Geography pages: the area browser, an area's page with its map, and the COD versions."""

import uuid

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from sentinelle.core.permissions import Perm, require_perm
from sentinelle.geography import selectors
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
