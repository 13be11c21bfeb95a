"""Consent on the case page (issue 15, item 6): what each consent covers is shown plainly, only service
providers are offered as organisations to refer to, and a refused referral says which part did not match;
a refused answer on the receiving side keeps what was typed (item 4)."""

import re

import pytest
from django.urls import reverse

from sentinelle.accounts.models import OrganisationType
from sentinelle.accounts.tests.factories import OrganisationFactory
from sentinelle.cases.models import Consent, Referral
from sentinelle.cases.tests.factories_cases import (
    VALID_FORMS,
    commune_in,
    consent_for,
    make_case,
    make_referral,
    make_service,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def commune(mopti):
    return commune_in(mopti, "Sévaré")


@pytest.fixture
def case(caseworker_in_area, commune):
    return make_case(caseworker_in_area, commune, case_type="general_protection")


@pytest.fixture
def service(beta, commune, focal_point):
    return make_service(beta, commune, "health", focal_points=[focal_point], name="CSCOM Sévaré")


@pytest.fixture
def donor(db):
    return OrganisationFactory(acronym="USAID", type=OrganisationType.DONOR)


def coverage(page: str) -> list[str]:
    """The text of each consent's coverage line, tags dropped."""
    lines = re.findall(r'data-testid="consent-coverage">(.*?)</span>', page, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", "", line).split()) for line in lines]


def test_the_case_page_says_what_each_consent_covers(signed_in, caseworker_in_area, case, service, beta):
    consent_for(caseworker_in_area, case, organisations=[beta], service_types=["health", "pss"])
    consent_for(caseworker_in_area, case)
    client = signed_in(caseworker_in_area)
    page = client.get(reverse("cases:case-detail", args=[case.public_id]), HTTP_ACCEPT_LANGUAGE="en")

    lines = coverage(page.content.decode())
    assert "Covers: any organisation for any type of service" in lines
    assert "Covers: BETA for Health, Psychosocial support" in lines


def test_only_service_providers_are_offered(signed_in, caseworker_in_area, case, service, beta, alpha, donor):
    page = signed_in(caseworker_in_area).get(reverse("cases:case-detail", args=[case.public_id]))

    offered = list(page.context["consent_form"].fields["organisations"].queryset)
    assert offered == [beta]  # BETA runs a service; ALPHA and the donor run none
    assert f'value="{donor.pk}"' not in page.content.decode().split('data-testid="consent-form"')[1]


def test_a_donor_posted_anyway_is_refused_and_nothing_is_written(signed_in, caseworker_in_area, case, donor):
    response = signed_in(caseworker_in_area).post(
        reverse("cases:consent-add", args=[case.public_id]),
        {"purpose": "referral", "given_by": "person", "given_on": "2024-01-01", "organisations": [donor.pk]},
    )

    assert response.status_code == 400
    assert response.context["consent_form"].errors["organisations"]
    assert not Consent.objects.exists()


def test_a_refused_referral_names_the_part_that_did_not_match(
    signed_in, caseworker_in_area, case, service, beta
):
    consent_for(caseworker_in_area, case, organisations=[beta], service_types=["legal"])
    url = reverse("cases:referral-create", args=[case.public_id]) + "?type=health"
    data = {
        "service": str(service.public_id),
        "urgency": "urgent",
        "reason": "Soins médicaux.",
        **{f"form_{k}": v for k, v in VALID_FORMS["health"].items()},
    }
    response = signed_in(caseworker_in_area).post(url, data, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200 and not Referral.objects.exists()
    [message] = response.context["form"].non_field_errors()
    assert "the type of service does not match" in message and "only for Legal aid, not for Health" in message
    # What was typed stays on the page.
    assert response.context["form"]["reason"].value() == "Soins médicaux."


def test_a_refused_answer_keeps_what_the_focal_point_typed(
    signed_in, caseworker_in_area, focal_point, case, service
):
    """The receiving page has several forms: a refused one comes back with its text (issue 15, item 4)."""
    consent_for(caseworker_in_area, case)
    referral = make_referral(caseworker_in_area, case, service)
    response = signed_in(focal_point).post(
        reverse("cases:referral-complete", args=[referral.public_id]),
        {"service_given": "Kit PEP et soins.", "service_date": "2000-01-01"},
    )

    assert response.status_code == 400
    form = response.context["complete_form"]
    assert form.errors["service_date"] and form["service_given"].value() == "Kit PEP et soins."
    referral.refresh_from_db()
    assert referral.status == "pending"
