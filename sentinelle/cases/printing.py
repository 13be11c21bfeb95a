"""The printed referral form for a service that may not use Sentinelle: the harmonised inter-agency
referral form, as HTML to print or a one-page A4 PDF laid out by WeasyPrint (with a URL fetcher that
refuses everything, so that a PDF never reaches the network whatever the referral's text contains).

It names both organisations with their focal points and contacts, the urgency and the date a response
is due, the person's facts the type of service needs (referral_forms.SLIP_FIELDS, and nothing more), the
consent and what it covers, signature and stamp blocks for both sides, and a feedback part the service
fills and returns (the referring case worker records it back on the referral's page in one step).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from sentinelle.cases.models import CaseType, Consent, ConsentPurpose, ReferralStatus, Urgency
from sentinelle.cases.selectors.referrals import referral_get
from sentinelle.cases.services.referral_forms import (
    AGE,
    AGE_GROUP,
    COMMUNE,
    DISABILITY,
    DISPLACEMENT,
    REASON,
    SEX,
    referral_form_display,
    slip_fields,
)
from sentinelle.core.permissions import Perm, has_perm
from sentinelle.directory.models import ServiceType

STYLESHEET = "cases/referral_print.css"
# Focal points printed for a service of the directory (the service's own contacts come first).
FOCAL_POINTS_SHOWN = 3
# The layouts tried in turn until the form fits one page (referral_print.css).
DENSITIES = ("", "snug", "compact")


@dataclass
class Party:
    """One side of the referral as printed: who, where, and whom to call."""

    organisation: str
    service: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    hours: str = ""
    # (name, phone or e-mail) of the people to call; empty: lines to fill by hand.
    focal_points: list[tuple[str, str]] = field(default_factory=list)


def _refuse_fetch(url, *args, **kwargs):
    raise ValueError(f"External resources are not loaded in PDFs: {url[:40]}")


def _contact(user, *, both: bool = True) -> str:
    if not both:
        return user.phone or user.email or ""
    return " · ".join(part for part in (user.phone, user.email or "") if part)


def _sender(referral) -> Party:
    case = referral.case
    organisation = case.organisation
    owner = case.owner
    return Party(
        organisation=f"{organisation.name} ({organisation.acronym})",
        email=organisation.email,
        focal_points=[(owner.display_name, _contact(owner))],
    )


def _receiver(referral) -> Party:
    service = referral.service
    if service is None:
        return Party(organisation=referral.external_service)
    provider = service.provider
    where = ", ".join(part for part in (service.address, service.area.name_fr) if part)
    focal_points = [
        (user.display_name, _contact(user, both=False))
        for user in service.focal_points.filter(is_active=True).order_by("username")[:FOCAL_POINTS_SHOWN]
    ]
    return Party(
        organisation=f"{provider.name} ({provider.acronym})",
        service=service.name,
        address=where,
        phone=service.contact_phone,
        email=service.contact_email,
        hours=service.opening_hours,
        focal_points=focal_points,
    )


def _age(person) -> str:
    if person.age is None:
        return person.get_age_group_display()
    if person.age_estimated:
        return _("%(age)s years (estimated)") % {"age": person.age}
    return _("%(age)s years") % {"age": person.age}


def _person_facts(referral, fields: tuple[str, ...]) -> list[tuple[str, str]]:
    """(label, value) of the facts this type of service gets, the person's code first."""
    person = referral.case.person
    values = {
        SEX: (_("Sex"), lambda: person.get_sex_display()),
        AGE: (_("Age"), lambda: _age(person)),
        AGE_GROUP: (_("Age group"), lambda: person.get_age_group_display()),
        DISABILITY: (_("Disability"), lambda: _("Yes") if person.has_disability else _("No")),
        DISPLACEMENT: (_("Displacement status"), lambda: person.get_displacement_status_display()),
        COMMUNE: (_("Commune of residence"), lambda: f"{person.area.name_fr} ({person.area.pcode})"),
    }
    facts = [(_("Person code"), person.person_code)]
    facts += [(values[name][0], str(values[name][1]())) for name in fields if name in values]
    return facts


def _coverage(consent: Consent) -> str:
    """Whom the referral consent covers: organisations and types named, or any service."""
    organisations = [organisation.acronym for organisation in consent.organisations.all()]
    types = [str(ServiceType(code).label) for code in consent.service_types if code in ServiceType.values]
    if not organisations and not types:
        return _("any service")
    return ", ".join([*organisations, *types])


def _consent(referral) -> dict:
    consent = referral.consent
    statistics = Consent.objects.filter(
        person_id=referral.case.person_id, purpose=ConsentPurpose.STATISTICS, withdrawn_on__isnull=True
    ).exists()
    return {
        "given_by": consent.get_given_by_display(),
        "given_on": consent.given_on,
        "coverage": _coverage(consent),
        "statistics": statistics,
    }


def _feedback(referral) -> dict | None:
    """The feedback already recorded, printed in place of the blanks."""
    if referral.status != ReferralStatus.COMPLETED:
        return None
    return {
        "service_given": referral.service_given,
        "service_date": referral.service_date or timezone.localdate(referral.completed_at),
        "follow_up_needed": referral.follow_up_needed,
        "follow_up": referral.follow_up,
    }


def referral_print_context(*, user, public_id, request=None) -> dict:
    referral = referral_get(user=user, public_id=public_id, request=request)
    case = referral.case
    fields = slip_fields(referral.service_type, gbv=case.case_type == CaseType.GBV)
    sender, receiver = _sender(referral), _receiver(referral)
    return {
        "referral": referral,
        "answers": referral_form_display(referral.service_type, referral.form),
        "person": case.person,
        "facts": _person_facts(referral, fields),
        "reason": referral.reason if REASON in fields else "",
        "service_type_label": ServiceType(referral.service_type).label,
        "urgencies": Urgency.choices,
        "sender": sender,
        "receiver": receiver,
        "parties": [sender, receiver],
        "consent": _consent(referral),
        "feedback": _feedback(referral),
        "respond_by": formats.date_format(timezone.localtime(referral.respond_by), "SHORT_DATETIME_FORMAT"),
        # The referring side records a service outside Sentinelle's feedback (the policy decides who).
        "can_record_feedback": referral.service_id is None
        and referral.status in (ReferralStatus.PENDING, ReferralStatus.ACCEPTED)
        and has_perm(user, Perm.REFERRAL_CREATE, referral),
    }


def referral_document(context: dict):
    """The laid-out WeasyPrint document (tests count its pages): one A4 page, in tighter then smaller
    type when the texts are long; two pages only when even that does not fit (the feedback part is
    never split)."""
    from weasyprint import CSS, HTML

    stylesheet = CSS(filename=finders.find(STYLESHEET), url_fetcher=_refuse_fetch)
    document = None
    for density in DENSITIES:
        html = render_to_string("cases/referral_pdf.html", {**context, "density": density})
        document = HTML(string=html, url_fetcher=_refuse_fetch).render(stylesheets=[stylesheet])
        if len(document.pages) == 1:
            break
    return document


def referral_pdf(context: dict) -> bytes:
    return referral_document(context).write_pdf()
