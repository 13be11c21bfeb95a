import io
import os
import shutil
import subprocess

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from sentinelle.core.models import AuditAction, AuditEntry
from sentinelle.directory.exports import COLUMNS
from sentinelle.directory.models import Service, ServiceType
from sentinelle.directory.tests.factories import ServiceFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("sentinelle.directory.tests.urls")]


@pytest.fixture
def pss(places, alpha):
    return ServiceFactory(
        name="Centre communautaire de Douentza",
        provider=alpha,
        area=places.douentza,
        areas_served=[places.douentza_cercle],
        opening_hours="Lun.-sam. 8h-17h",
        languages="Fulfulde, français",
    )


@pytest.fixture
def elsewhere(places, beta):
    return ServiceFactory(name="Clinique de Ségou", provider=beta, area=places.segou_commune,
                          service_type=ServiceType.LEGAL)  # fmt: skip


def _form(places, **changes) -> dict:
    data = {
        "name": "Clinique juridique de Hombori",
        "service_type": "legal",
        "provider": "",
        "area": "Hombori",
        "settlement": "",
        "address": "Mairie",
        "areas_served": "Douentza (ML0506)\nML05",
        "opening_hours": "Lun.-ven.",
        "contact_phone": "+223 70 00 00 09",
        "contact_email": "",
        "languages": "Songhay",
        "cost": "free",
        "eligibility": "",
        "capacity_per_month": "",
        "status": "active",
        "description": "",
    }
    data.update(changes)
    return data


# --- Search ------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["Douentza", "douentza", "DOUËNTZA", "ML050606"])
def test_a_reader_finds_pss_services_serving_douentza(signed_in, reader, pss, elsewhere, typed):
    response = signed_in(reader).get(reverse("directory:service-list"), {"place": typed, "type": "pss"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "Centre communautaire de Douentza" in content
    assert "Clinique de Ségou" not in content
    assert "Fulfulde" in content and "Lun.-sam. 8h-17h" in content


def test_an_unknown_place_says_so(signed_in, reader, pss):
    response = signed_in(reader).get(reverse("directory:service-list"), {"place": "Atlantis"})
    assert "Atlantis" in response.content.decode()
    assert "Centre communautaire" not in response.content.decode()


def test_the_search_page_has_a_constant_number_of_queries(
    signed_in, reader, places, alpha, django_assert_max_num_queries
):
    client = signed_in(reader)
    url = reverse("directory:service-list")
    ServiceFactory(provider=alpha, area=places.douentza)
    client.get(url, {"place": "douentza"})
    for _ in range(40):
        ServiceFactory(provider=alpha, area=places.hombori, areas_served=[places.douentza_cercle])
    with django_assert_max_num_queries(16):
        response = client.get(url, {"place": "douentza"})
    assert response.context["page"].paginator.count == 41


def test_the_search_by_cercle_select_and_by_candidate(signed_in, reader, places, pss):
    client = signed_in(reader)
    url = reverse("directory:service-list")
    by_select = client.get(url, {"cercle": str(places.douentza_cercle.public_id)})
    assert by_select.context["match"].area == places.douentza_cercle
    by_id = client.get(url, {"area": str(places.hombori.public_id)})
    assert by_id.context["match"].area == places.hombori
    assert "Centre communautaire de Douentza" in by_id.content.decode()


# --- Detail, create, edit ----------------------------------------------------------------------


def test_the_detail_page_shows_management_only_to_the_provider(signed_in, client, reader, manager, pss):
    url = reverse("directory:service-detail", args=[pss.public_id])
    page = signed_in(reader).get(url)
    assert page.status_code == 200 and "Centre communautaire de Douentza" in page.content.decode()
    assert not page.context["can_manage"]
    client.logout()
    page = signed_in(manager).get(url)
    assert page.context["can_manage"]
    assert reverse("directory:service-edit", args=[pss.public_id]) in page.content.decode()


def test_a_manager_adds_a_service_through_the_form(signed_in, manager, alpha, places):
    client = signed_in(manager)
    assert client.get(reverse("directory:service-create")).status_code == 200
    response = client.post(reverse("directory:service-create"), _form(places, provider=alpha.pk))
    service = Service.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("directory:service-detail", args=[service.public_id])
    assert service.area == places.hombori
    assert set(service.areas_served.all()) == {places.douentza_cercle, places.mopti}
    assert service.last_verified_on is not None


def test_the_form_explains_bad_places(signed_in, manager, alpha, places):
    response = signed_in(manager).post(
        reverse("directory:service-create"),
        _form(places, provider=alpha.pk, area="Atlantis", areas_served="Mopti"),
    )
    assert response.status_code == 200
    assert "Atlantis" in str(response.context["form"].errors["area"])
    # "Mopti" is a region, a cercle and a commune: the look-up asks which.
    assert "ML05" in str(response.context["form"].errors["areas_served"])
    assert not Service.objects.exists()


def test_a_reader_cannot_add_or_edit(signed_in, reader, alpha, places, pss):
    client = signed_in(reader)
    assert client.get(reverse("directory:service-create")).status_code == 403
    assert (
        client.post(reverse("directory:service-create"), _form(places, provider=alpha.pk)).status_code == 403
    )
    edit = reverse("directory:service-edit", args=[pss.public_id])
    assert client.post(edit, _form(places, provider=alpha.pk, name="Piraté")).status_code == 403
    assert client.post(reverse("directory:service-archive", args=[pss.public_id])).status_code == 403
    pss.refresh_from_db()
    assert (pss.name, pss.is_archived, Service.objects.count()) == (
        "Centre communautaire de Douentza",
        False,
        1,
    )


def test_another_organisation_gets_404_and_changes_nothing(signed_in, outsider, alpha, places, pss):
    client = signed_in(outsider)
    edit = reverse("directory:service-edit", args=[pss.public_id])
    assert client.get(edit).status_code == 404
    assert client.post(edit, _form(places, provider=alpha.pk, name="Piraté")).status_code == 404
    for name in ("service-verify", "service-archive", "service-focal-points"):
        assert client.post(reverse(f"directory:{name}", args=[pss.public_id])).status_code == 404
    pss.refresh_from_db()
    assert (pss.name, pss.is_archived, pss.last_verified_on) == (
        "Centre communautaire de Douentza",
        False,
        None,
    )
    # Creating a service for alpha is refused too: alpha is not among the providers offered.
    response = client.post(reverse("directory:service-create"), _form(places, provider=alpha.pk))
    assert "provider" in response.context["form"].errors
    assert Service.objects.count() == 1


def test_the_provider_edits_verifies_sets_focal_points_and_archives(signed_in, manager, alpha, places, pss):
    client = signed_in(manager)
    edit = reverse("directory:service-edit", args=[pss.public_id])
    form = client.get(edit).context["form"]
    assert form.initial["areas_served"] == "Douentza (ML0506)"
    assert client.post(edit, _form(places, provider=alpha.pk, name="Nouveau nom")).status_code == 302
    client.post(reverse("directory:service-verify", args=[pss.public_id]))
    client.post(
        reverse("directory:service-focal-points", args=[pss.public_id]), {"focal_points": [manager.pk]}
    )
    pss.refresh_from_db()
    assert pss.name == "Nouveau nom" and pss.last_verified_on is not None
    assert list(pss.focal_points.all()) == [manager]
    client.post(reverse("directory:service-archive", args=[pss.public_id]))
    pss.refresh_from_db()
    assert pss.is_archived
    assert client.get(reverse("directory:service-detail", args=[pss.public_id])).status_code == 404


# --- Pathways, print, PDF ----------------------------------------------------------------------


def test_the_pathway_page_lists_by_type_nearest_first(signed_in, reader, places, pss, elsewhere):
    response = signed_in(reader).get(reverse("directory:pathway", args=[places.hombori.public_id]))
    assert response.status_code == 200
    pss_group = next(group for group in response.context["groups"] if group.service_type == "pss")
    assert [entry.service for entry in pss_group.entries] == [pss]
    assert "Same cercle" in response.content.decode() or "Même cercle" in response.content.decode()


def test_the_printable_pathway_has_one_page_per_cercle(signed_in, reader, places, pss):
    client = signed_in(reader)
    page = client.get(reverse("directory:pathway-print", args=[places.mopti.public_id]))
    assert page.status_code == 200
    assert [p.cercle for p in page.context["pathways"]] == [places.mopti_cercle, places.douentza_cercle]
    assert page.content.decode().count('class="page"') == 2


def _pdf_text(content: bytes, tmp_path) -> str:
    executable = shutil.which("pdftotext")
    if not executable:
        if os.environ.get("SENTINELLE_REQUIRE_BROWSER"):
            pytest.fail("pdftotext is missing (apt-get install poppler-utils)")
        pytest.skip("pdftotext is not installed (poppler-utils)")
    path = tmp_path / "pathway.pdf"
    path.write_bytes(content)
    command = [executable, "-layout", str(path), "-"]
    return subprocess.run(command, capture_output=True, check=True, text=True).stdout  # noqa: S603


def test_the_pathway_pdf_names_the_cercle_and_its_services(signed_in, reader, places, pss, tmp_path):
    response = signed_in(reader).get(reverse("directory:pathway-pdf", args=[places.hombori.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = _pdf_text(response.content, tmp_path)
    assert "Douentza" in text
    assert "Centre communautaire de Douentza" in text
    assert "ALPHA" in text


def test_the_region_pdf_has_a_page_per_cercle(reader, places, pss):
    from sentinelle.directory.printing import pathway_document

    document = pathway_document(user=reader, area=places.mopti)
    assert len(document.pages) == 2


# --- Export ------------------------------------------------------------------------------------


def test_the_export_has_french_headers_an_hxl_row_and_is_audited(signed_in, reader, places, pss, elsewhere):
    response = signed_in(reader).get(reverse("directory:service-export"), {"place": "douentza"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    headers, hashtags, data = rows[0], rows[1], rows[2:]
    with translation.override("fr"):
        assert headers == tuple(str(column.label) for column in COLUMNS)
    assert hashtags == tuple(column.hxl for column in COLUMNS)
    for tag in ("#org+acronym", "#sector+type", "#loc+name", "#adm3+code", "#contact+phone", "#adm2+name"):
        assert tag in hashtags
    assert len(data) == 1
    row = dict(zip(hashtags, data[0], strict=True))
    assert row["#activity+name"] == "Centre communautaire de Douentza"
    assert row["#adm3+code"] == "ML050606"
    assert row["#adm2+name"] == "Douentza" and row["#adm1+name"] == "Mopti"
    assert row["#loc+served+code"] == "ML0506"
    assert row["#meta+id"] == str(pss.public_id)
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT, user=reader)
    assert entry.detail == {"format": "xlsx", "rows": 1}
