"""{% area_map area context %}: a small server-drawn SVG map of an area, no JavaScript."""

from django import template
from django.utils.html import format_html, format_html_join

from sentinelle.geography.geometry import geometry_bounds, svg_frame, svg_path

register = template.Library()


@register.simple_tag
def area_map(area, context=None, *, label=""):
    """The area's outline, drawn over its parent (`context`) faded, framed on the parent.

    Colours come from the stylesheet's `.map path`; the context is faded with the
    fill-opacity presentation attribute because the strict CSP forbids style attributes.
    """
    context_geometry = getattr(context, "geometry", None)
    bounds = geometry_bounds([context_geometry or area.geometry])
    if bounds is None:
        return ""
    frame = svg_frame(bounds)
    paths = []
    if context_geometry:
        paths.append((svg_path(context_geometry, frame), "0.3"))
    paths.append((svg_path(area.geometry, frame), "1"))
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="{}" role="img" aria-label="{}">{}</svg>',
        frame.view_box,
        label or area.name_fr,
        format_html_join(
            "", '<path d="{}" fill-rule="evenodd" fill-opacity="{}"></path>', ((d, o) for d, o in paths if d)
        ),
    )
