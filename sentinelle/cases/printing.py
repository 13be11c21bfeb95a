"""The printed referral form for a service outside Sentinelle: HTML to print, or a PDF laid out by
WeasyPrint (with the directory's print stylesheet, and a URL fetcher that refuses everything so that a
PDF never reaches the network whatever the referral's text contains)."""

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from sentinelle.cases.selectors.referrals import referral_get
from sentinelle.cases.services.referrals import referral_form_display
from sentinelle.directory.models import ServiceType
from sentinelle.directory.printing import STYLESHEET


def _refuse_fetch(url, *args, **kwargs):
    raise ValueError(f"External resources are not loaded in PDFs: {url[:40]}")


def referral_print_context(*, user, public_id, request=None) -> dict:
    referral = referral_get(user=user, public_id=public_id, request=request)
    return {
        "referral": referral,
        "answers": referral_form_display(referral.service_type, referral.form),
        "person": referral.case.person,
        "service_type_label": ServiceType(referral.service_type).label,
    }


def referral_pdf(context: dict) -> bytes:
    from weasyprint import CSS, HTML

    html = render_to_string("cases/referral_pdf.html", context)
    stylesheet = CSS(filename=finders.find(STYLESHEET), url_fetcher=_refuse_fetch)
    return HTML(string=html, url_fetcher=_refuse_fetch).render(stylesheets=[stylesheet]).write_pdf()
