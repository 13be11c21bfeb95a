"""Programmes and projects: who may keep them, validation, pages (404 alike, refusals audited)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from sentinelle.accounts.models import OrganisationType
from sentinelle.accounts.tests.factories import OrganisationFactory
from sentinelle.activities.models import Programme, Project, ResultsFramework
from sentinelle.activities.services.programmes import (
    programme_create,
    programme_update,
    project_create,
)
from sentinelle.activities.tests.factories_reporting import ProgrammeFactory, ProjectFactory
from sentinelle.core.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def ddc(db):
    return OrganisationFactory(acronym="DDC", name="Coopération suisse", type=OrganisationType.DONOR)


def protect(lead, donors=(), **values) -> dict:
    data = {
        "code": "PROTECT",
        "name": "Programme de renforcement de l'environnement protecteur au Mali",
        "lead_organisation": lead,
        "start_date": datetime.date(2021, 3, 1),
        "end_date": datetime.date(2033, 7, 31),
        "budget": Decimal("11270000"),
        "currency": "CHF",
        "donors": list(donors),
    }
    data.update(values)
    return data


def test_imo_records_a_programme_with_donors_partners_and_areas(imo, alpha, beta, ddc, mopti):
    programme = programme_create(
        actor=imo, **protect(alpha, [ddc], implementing_partners=[alpha, beta], areas=[mopti])
    )

    assert (programme.code, programme.budget, programme.currency) == ("PROTECT", Decimal("11270000"), "CHF")
    assert list(programme.donors.all()) == [ddc]
    assert set(programme.implementing_partners.all()) == {alpha, beta}
    assert list(programme.areas.all()) == [mopti]
    assert (
        AuditEntry.objects.filter(action=AuditAction.CREATE, object_id=str(programme.public_id)).count() == 1
    )


def test_manager_keeps_the_programmes_their_organisation_leads(manager, alpha, beta):
    programme = programme_create(actor=manager, **protect(alpha))

    with pytest.raises(PermissionDenied):
        programme_create(actor=manager, **protect(beta, code="OTHER"))
    with pytest.raises(PermissionDenied):
        programme_update(actor=manager, programme=programme, **protect(beta))

    programme.refresh_from_db()
    assert programme.lead_organisation == alpha
    assert Programme.objects.count() == 1
    assert AuditEntry.objects.filter(user=manager, action=AuditAction.DENIED).count() == 2


def test_outsider_cannot_change_another_organisations_programme(outsider, alpha):
    programme = ProgrammeFactory(lead_organisation=alpha, name="Avant")

    with pytest.raises(PermissionDenied):
        programme_update(actor=outsider, programme=programme, **protect(alpha, code=programme.code))

    programme.refresh_from_db()
    assert programme.name == "Avant"
    assert AuditEntry.objects.filter(user=outsider, action=AuditAction.DENIED).count() == 1


@pytest.mark.parametrize(
    ("values", "key", "message"),
    [
        (
            {"end_date": datetime.date(2020, 1, 1)},
            "end_date",
            "The end date cannot be before the start date.",
        ),
        ({"code": ""}, "code", "Give a code."),
        ({"currency": "GBP"}, "currency", "Choose a currency."),
    ],
)
def test_programme_validation(imo, alpha, values, key, message):
    with pytest.raises(ValidationError) as caught:
        programme_create(actor=imo, **protect(alpha, **values))

    assert caught.value.message_dict[key] == [message]
    assert Programme.objects.count() == 0


def test_duplicate_code_is_refused(imo, alpha):
    ProgrammeFactory(code="PROTECT")

    with pytest.raises(ValidationError) as caught:
        programme_create(actor=imo, **protect(alpha, code="protect"))

    assert caught.value.message_dict["code"] == ["This code is already used."]


def test_project_of_a_programme(manager, alpha, beta, ddc):
    programme = ProgrammeFactory(lead_organisation=alpha)
    data = {
        "code": "PROTECT-ALPHA",
        "name": "Volet Mopti",
        "organisation": alpha,
        "programme": programme,
        "start_date": datetime.date(2023, 1, 1),
        "end_date": datetime.date(2025, 12, 31),
        "budget": Decimal("450000000"),
        "currency": "XOF",
        "donors": [ddc],
    }

    project = project_create(actor=manager, **data)

    assert list(programme.projects.all()) == [project]
    data.update(code="PROTECT-BETA", organisation=beta)
    with pytest.raises(PermissionDenied):
        project_create(actor=manager, **data)
    assert Project.objects.count() == 1


def test_programme_form_by_the_imo(signed_in, imo, alpha, ddc):
    response = signed_in(imo).post(
        reverse("activities:programme-create"),
        {
            "code": "REVIVRE2",
            "name": "REVIVRE 2",
            "lead_organisation": alpha.pk,
            "donors": [ddc.pk],
            "implementing_partners": [alpha.pk],
            "start_date": "2022-03-01",
            "end_date": "2023-05-31",
            "budget": "840000",
            "currency": "CHF",
        },
    )

    programme = Programme.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("activities:programme-detail", args=[programme.public_id])
    assert list(programme.donors.all()) == [ddc]


def test_programme_form_refuses_bad_dates(signed_in, imo, alpha):
    response = signed_in(imo).post(
        reverse("activities:programme-create"),
        {
            "code": "X",
            "name": "X",
            "lead_organisation": alpha.pk,
            "start_date": "2024-03-01",
            "end_date": "2023-05-31",
            "currency": "CHF",
        },
    )

    assert response.status_code == 200
    assert "end_date" in response.context["form"].errors
    assert Programme.objects.count() == 0


def test_reader_sees_programmes_but_cannot_edit(signed_in, reader, alpha):
    programme = ProgrammeFactory(lead_organisation=alpha)
    project = ProjectFactory(organisation=alpha, programme=programme)
    client = signed_in(reader)

    assert client.get(reverse("activities:programme-list")).status_code == 200
    assert client.get(reverse("activities:project-detail", args=[project.public_id])).status_code == 200
    assert client.get(reverse("activities:programme-edit", args=[programme.public_id])).status_code == 403
    assert client.get(reverse("activities:project-create")).status_code == 403


def test_outsider_gets_403_on_the_edit_page_of_another_organisations_programme(signed_in, outsider, alpha):
    programme = ProgrammeFactory(lead_organisation=alpha)

    response = signed_in(outsider).get(reverse("activities:programme-edit", args=[programme.public_id]))

    assert response.status_code == 403


def test_programme_page_links_its_results_framework(signed_in, reader, alpha):
    programme = ProgrammeFactory(lead_organisation=alpha)
    framework = ResultsFramework.objects.create(
        code="PROTECT-CR",
        name="Cadre de résultats PROTECT",
        programme=programme,
        owner_organisation=alpha,
        start_date=programme.start_date,
        end_date=programme.end_date,
    )

    response = signed_in(reader).get(reverse("activities:programme-detail", args=[programme.public_id]))

    assert reverse("activities:framework-detail", args=[framework.public_id]).encode() in response.content


def test_programme_list_queries_are_bounded(signed_in, reader, alpha, beta, django_assert_max_num_queries):
    for index in range(6):
        programme = ProgrammeFactory(lead_organisation=alpha if index % 2 else beta)
        programme.donors.add(OrganisationFactory(acronym=f"D{index}", type=OrganisationType.DONOR))
        ProjectFactory(programme=programme, organisation=alpha)
    client = signed_in(reader)

    with django_assert_max_num_queries(14):
        assert client.get(reverse("activities:programme-list")).status_code == 200


def test_project_and_programme_edit_pages(signed_in, manager, alpha, ddc):
    programme = ProgrammeFactory(lead_organisation=alpha)
    client = signed_in(manager)
    assert client.get(reverse("activities:programme-edit", args=[programme.public_id])).status_code == 200
    assert (
        client.get(reverse("activities:project-create"), {"programme": str(programme.public_id)}).status_code
        == 200
    )

    response = client.post(
        reverse("activities:project-create"),
        {
            "code": "PROTECT-ALPHA",
            "name": "Volet Mopti",
            "organisation": alpha.pk,
            "programme": programme.pk,
            "donors": [ddc.pk],
            "start_date": "2024-01-01",
            "end_date": "2026-12-31",
            "currency": "XOF",
        },
    )
    project = Project.objects.get()
    assert response["Location"] == reverse("activities:project-detail", args=[project.public_id])

    client.post(
        reverse("activities:project-edit", args=[project.public_id]),
        {
            "code": "PROTECT-ALPHA",
            "name": "Volet Mopti et Ségou",
            "organisation": alpha.pk,
            "start_date": "2024-01-01",
            "end_date": "2026-12-31",
            "currency": "XOF",
        },
    )
    project.refresh_from_db()
    assert project.name == "Volet Mopti et Ségou" and project.programme is None
    assert client.get(reverse("activities:project-edit", args=[project.public_id])).status_code == 200
