"""The printable referral pathway: one page per cercle (HTML to print from the browser, or a PDF).

The same template serves both. The PDF is laid out by WeasyPrint from the rendered HTML and the
directory's print stylesheet read from disk; its URL fetcher refuses everything, so a PDF never
reaches the network whatever a service's text contains.
"""

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone

from sentinelle.directory import selectors

TEMPLATE = "directory/pathway_print.html"
STYLESHEET = "directory/print.css"


def print_context(*, user, area, service_types=None) -> dict:
    pathways = selectors.cercle_pathways(user=user, area=area, service_types=service_types)
    return {
        "area": area,
        "pathways": pathways,
        "types": service_types or [],
        "generated_on": timezone.localdate(),
    }


def _refuse_fetch(url, *args, **kwargs):
    raise ValueError(f"External resources are not loaded in PDFs: {url[:40]}")


def pathway_document(*, user, area, service_types=None):
    """The laid-out WeasyPrint document: tests read its pages."""
    from weasyprint import CSS, HTML

    context = {**print_context(user=user, area=area, service_types=service_types), "for_pdf": True}
    html = render_to_string(TEMPLATE, context)
    stylesheet = CSS(filename=finders.find(STYLESHEET), url_fetcher=_refuse_fetch)
    return HTML(string=html, url_fetcher=_refuse_fetch).render(stylesheets=[stylesheet])


def pathway_pdf(*, user, area, service_types=None) -> bytes:
    return pathway_document(user=user, area=area, service_types=service_types).write_pdf()
