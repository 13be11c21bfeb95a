"""The printed referral form (cases/printing.py): the harmonised inter-agency form on one A4 portrait page,
with only what the type of service needs, the consent, signature blocks and the feedback part."""

import shutil
import subprocess
from html import unescape

import pytest
from django.template.loader import render_to_string
from django.utils import timezone, translation

from sentinelle.accounts.models import Organisation, User
from sentinelle.accounts.tests.factories import make_member
from sentinelle.cases import printing
from sentinelle.cases.models import ConsentPurpose
from sentinelle.cases.services.consent import consent_record
from sentinelle.cases.services.referral_forms import REFERRAL_FORMS, SLIP_FIELDS, slip_fields
from sentinelle.cases.services.referrals import referral_complete, referral_create
from sentinelle.cases.tests.factories_cases import (
    VALID_FORMS,
    commune_in,
    consent_for,
    make_case,
    make_referral,
    make_service,
)
from sentinelle.core.models import Role
from sentinelle.directory.models import ServiceType

pytestmark = pytest.mark.django_db

REASON = "Audience de garde prévue ; besoin d'un avocat pour la succession du ménage."
# A4 in CSS pixels (96 per inch): 210 x 297 mm.
A4 = (793.7, 1122.5)


@pytest.fixture
def commune(mopti):
    return commune_in(mopti, "Sévaré")


@pytest.fixture
def health(beta, commune, focal_point):
    focal_point.full_name, focal_point.phone = "Kadiatou Coulibaly", "+223 76 11 22 33"
    focal_point.save()
    service = make_service(beta, commune, "health", focal_points=[focal_point], name="CSCOM Sévaré")
    service.contact_phone, service.address = "+223 70 00 00 10", "Quartier Poudrière"
    service.save()
    return service


@pytest.fixture
def legal(beta, commune):
    return make_service(beta, commune, "legal", name="Clinique juridique de Sévaré")


def _case(caseworker, commune, beta, case_type):
    caseworker.full_name, caseworker.phone = "Oumou Sidibé", "+223 66 44 55 66"
    caseworker.save()
    case = make_case(caseworker, commune, case_type=case_type)
    consent_for(caseworker, case, organisations=[beta])
    return case


def _context(user, referral):
    with translation.override("en"):
        return printing.referral_print_context(user=user, public_id=referral.public_id)


def _html(context) -> str:
    with translation.override("en"):
        return unescape(render_to_string("cases/partials/_referral_sheet.html", context))


def _pdf_text(content: bytes, tmp_path) -> str:
    executable = shutil.which("pdftotext")
    if executable is None:
        pytest.skip("pdftotext is not installed (poppler-utils)")
    path = tmp_path / "referral.pdf"
    path.write_bytes(content)
    command = [executable, str(path), "-"]
    return subprocess.run(command, capture_output=True, check=True, text=True).stdout  # noqa: S603


def test_every_service_type_has_its_slip_fields():
    assert set(SLIP_FIELDS) == set(ServiceType.values) == set(REFERRAL_FORMS)


def test_a_gbv_case_never_prints_the_reason_whatever_the_type():
    for service_type in ServiceType.values:
        assert "reason" not in slip_fields(service_type, gbv=True)
    assert "reason" in slip_fields(ServiceType.LEGAL, gbv=False)
    assert "reason" not in slip_fields(ServiceType.HEALTH, gbv=False)


def test_the_health_slip_names_both_sides_and_holds_only_what_a_clinic_needs(
    caseworker_in_area, commune, beta, health
):
    case = _case(caseworker_in_area, commune, beta, "gbv")
    referral = make_referral(caseworker_in_area, case, health, urgency="emergency", reason=REASON)
    html = _html(_context(caseworker_in_area, referral))
    # Both organisations, their focal points and contacts; the urgency and the date a response is due.
    for text in (
        "Organisation ALPHA (ALPHA)",
        "Oumou Sidibé",
        "+223 66 44 55 66",
        "Organisation BETA (BETA)",
        "CSCOM Sévaré",
        "Kadiatou Coulibaly",
        "+223 76 11 22 33",
        "+223 70 00 00 10",
        "☒ Emergency (same day)",
        "Response due by",
    ):
        assert text in html, text
    # The person: code, sex, age, disability; the clinic's questions; consent; signatures; feedback.
    for text in (case.person.person_code, "30 years", "Care needed", "Clinical management of rape"):
        assert text in html, text
    for text in ("Informed consent", "Signature", "Stamp", "Feedback", "Date of the service"):
        assert text in html, text
    # Not for a clinic: the narrative, where the person lives, the legal questions, any name of theirs.
    for text in (REASON, "Sévaré (", "Commune of residence", "Displacement status", "Legal need"):
        assert text not in html, text
    assert "Aminata" not in html and "Traoré" not in html


def test_the_legal_slip_says_more_and_nothing_of_health(caseworker_in_area, commune, beta, legal):
    case = _case(caseworker_in_area, commune, beta, "general_protection")
    referral = make_referral(caseworker_in_area, case, legal, reason=REASON)
    html = _html(_context(caseworker_in_area, referral))
    for text in (REASON, "Commune of residence", f"Sévaré ({commune.pcode})", "Displacement status"):
        assert text in html, text
    for text in ("Legal need", "Criminal complaint"):
        assert text in html, text
    assert "Known allergies" not in html and "Care needed" not in html
    assert "Aminata" not in html


def test_a_gbv_survivors_legal_slip_leaves_the_reason_out(caseworker_in_area, commune, beta, legal):
    case = _case(caseworker_in_area, commune, beta, "gbv")
    referral = make_referral(caseworker_in_area, case, legal, reason=REASON)
    context = _context(caseworker_in_area, referral)
    assert context["reason"] == ""
    assert REASON not in _html(context) and "Commune of residence" in _html(context)


def test_the_consent_says_what_the_person_agreed_to(caseworker_in_area, commune, beta, health):
    case = _case(caseworker_in_area, commune, beta, "general_protection")
    referral = make_referral(caseworker_in_area, case, health)
    html = _html(_context(caseworker_in_area, referral))
    assert "The person, on" in html and "for referral to: BETA" in html
    assert "☐ that non-identifying data be used for statistics." in html
    consent_record(
        actor=caseworker_in_area,
        person=case.person,
        case=case,
        purpose=ConsentPurpose.STATISTICS,
        given_by="person",
        given_on=timezone.localdate(),
    )
    html = _html(_context(caseworker_in_area, referral))
    assert "☒ that non-identifying data be used for statistics." in html


def test_the_pdf_is_one_a4_portrait_page(caseworker_in_area, commune, beta, health, tmp_path):
    case = _case(caseworker_in_area, commune, beta, "gbv")
    referral = make_referral(caseworker_in_area, case, health)
    context = _context(caseworker_in_area, referral)
    with translation.override("en"):
        document = printing.referral_document(context)
        content = printing.referral_pdf(context)
    assert len(document.pages) == 1
    page = document.pages[0]
    assert (round(page.width, 1), round(page.height, 1)) == A4
    text = _pdf_text(content, tmp_path)
    for words in (referral.reference, "CSCOM Sévaré", "Kadiatou Coulibaly", "INFORMED CONSENT", "FEEDBACK"):
        assert words in text, words
    assert "Aminata" not in text and "Prise en charge médicale." not in text


def test_long_names_and_many_focal_points_still_fit_one_page(
    caseworker_in_area, commune, beta, mopti, tmp_path
):
    beta.name = (
        "Association des juristes maliennes pour la défense des droits des femmes, des enfants et des "
        "personnes déplacées internes dans les régions du centre et du nord"
    )
    beta.save()
    points = [
        make_member(
            Role.FOCAL_POINT,
            beta,
            username=f"fp{number}",
            full_name=f"Maïmouna Aboubacrine Ould Mohamed Cissé-Maïga {number}",
            phone=f"+223 76 00 00 0{number}",
        )
        for number in range(4)
    ]
    service = make_service(
        beta,
        commune,
        "legal",
        focal_points=points,
        name="Clinique juridique mobile et permanence d'assistance judiciaire gratuite pour les personnes "
        "déplacées internes et les communautés hôtes (Sévaré, Mopti, Bandiagara, Douentza)",
    )
    service.address = "Quartier Poudrière, rue 245, porte 17, à côté du tribunal de grande instance"
    service.opening_hours = "Lundi-vendredi 8h-16h ; samedi 9h-12h ; permanence téléphonique 24h/24"
    service.contact_email = "permanence.sevare@association-des-juristes-maliennes.example.org"
    service.save()
    case = _case(caseworker_in_area, commune, beta, "child_protection")
    reason = (REASON + " ") * 9  # about 700 characters
    referral = make_referral(
        caseworker_in_area,
        case,
        service,
        reason=reason,
        form={**VALID_FORMS["legal"], "language": "Fulfulde, bambara, songhay, tamasheq et français"},
    )
    context = _context(caseworker_in_area, referral)
    with translation.override("en"):
        document = printing.referral_document(context)
        content = printing.referral_pdf(context)
    assert len(document.pages) == 1
    text = " ".join(_pdf_text(content, tmp_path).split())
    # Nothing cut: the long texts end on the page, three focal points of four are named.
    for words in ("du centre et du nord (BETA)", "Bandiagara, Douentza)", "permanence téléphonique 24h/24"):
        assert words in text, words
    assert "Cissé-Maïga 2" in text and "Cissé-Maïga 3" not in text
    assert text.count("besoin d'un avocat") == 9 and "Name, position, signature and stamp" in text
    assert User.objects.filter(username__startswith="fp").count() == 4 and Organisation.objects.count() >= 2


def test_a_completed_referral_prints_the_feedback_recorded(caseworker_in_area, commune):
    case = make_case(caseworker_in_area, commune, case_type="child_protection")
    consent_for(caseworker_in_area, case, service_types=["civil_documentation"])
    referral = referral_create(
        actor=caseworker_in_area,
        case=case,
        external_service="Centre d'état civil de Mopti",
        service_type="civil_documentation",
        urgency="routine",
        reason="Acte de naissance.",
        form=VALID_FORMS["civil_documentation"],
    )
    blank = _html(_context(caseworker_in_area, referral))
    assert "☐ No" in blank and "Centre d'état civil de Mopti" in blank
    referral_complete(
        actor=caseworker_in_area,
        referral=referral,
        service_given="Jugement supplétif obtenu.",
        follow_up_needed=True,
        follow_up="Retirer l'acte à la mairie.",
    )
    context = _context(caseworker_in_area, referral)
    html = _html(context)
    assert "Jugement supplétif obtenu." in html and "☒ Yes: Retirer l'acte à la mairie." in html
    assert context["can_record_feedback"] is False


def test_the_longest_reason_the_form_allows_still_fits_one_page(caseworker_in_area, commune, beta, legal):
    case = _case(caseworker_in_area, commune, beta, "general_protection")
    referral = make_referral(caseworker_in_area, case, legal, reason=(REASON + " ") * 26)  # 2,000 characters
    with translation.override("en"):
        assert len(printing.referral_document(_context(caseworker_in_area, referral)).pages) == 1


def test_beyond_one_page_the_feedback_part_moves_whole_to_the_second(
    caseworker_in_area, commune, beta, legal, tmp_path
):
    case = _case(caseworker_in_area, commune, beta, "general_protection")
    referral = make_referral(caseworker_in_area, case, legal, reason=(REASON + " ") * 52)
    context = _context(caseworker_in_area, referral)
    with translation.override("en"):
        document = printing.referral_document(context)
        content = printing.referral_pdf(context)
    assert len(document.pages) == 2
    first, second = _pdf_text(content, tmp_path).split("\f")[:2]
    assert "INFORMED CONSENT" in first and "FEEDBACK" not in first
    assert "FEEDBACK" in second and "Name, position, signature and stamp" in second
