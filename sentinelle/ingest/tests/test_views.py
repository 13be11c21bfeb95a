"""Import pages: scoped lists, 404 alike, 403 for readers, the upload and commit, templates, exports."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from sentinelle.core.models import AuditEntry
from sentinelle.ingest.models import ImportJob
from sentinelle.ingest.tests.conftest import csv_bytes, incident_row, upload
from sentinelle.monitoring.models import Incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def beta_job(outsider, beta, places):
    return upload(outsider, beta, csv_bytes([incident_row(adm3_code="ML040101", adm2_code="ML0401")]))


@pytest.fixture
def alpha_job(monitor, alpha, places):
    return upload(monitor, alpha, csv_bytes([incident_row()]))


def post_file(client, organisation, content: bytes, name: str = "incidents.csv"):
    return client.post(
        reverse("ingest:job-upload"),
        {
            "kind": "incidents",
            "organisation": str(organisation.public_id),
            "file": SimpleUploadedFile(name, content),
        },
    )


def test_monitor_uploads_checks_and_imports(signed_in, monitor, alpha, places):
    client = signed_in(monitor)

    response = post_file(client, alpha, csv_bytes([incident_row(), incident_row(source_id="A-002")]))

    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "ingest:job-detail", args=[job.public_id]
    )
    page = client.get(response["Location"]).content.decode()
    assert "Prêt à importer" in page and "Dourou (ML050101)" in page and "Importer 2 lignes" in page
    assert Incident.objects.count() == 0

    response = client.post(reverse("ingest:job-commit", args=[job.public_id]), follow=True)

    assert "Enregistrements créés : 2 ; déjà présents (inchangés) : 0." in response.content.decode()
    assert Incident.objects.filter(organisation=alpha).count() == 2
    steps = [
        entry.detail["step"]
        for entry in AuditEntry.objects.filter(action="import", object_type="ingest.importjob")
    ]
    assert sorted(steps) == ["commit", "commit_requested", "upload", "validate"]


def test_errors_are_listed_by_row_and_column(signed_in, monitor, alpha, places):
    client = signed_in(monitor)

    response = post_file(client, alpha, csv_bytes([incident_row(adm3_code="ML059999")]))

    page = client.get(response["Location"]).content.decode()
    assert "Erreurs trouvées" in page
    assert (
        '<td data-label="Ligne">3</td><td>Commune (P-code)</td>'
        '<td class="cell-value short">ML059999</td><td>P-code inconnu' in page
    )
    assert reverse("ingest:job-commit", args=[ImportJob.objects.get().public_id]) not in page


def test_upload_for_an_organisation_not_ones_own_is_refused(signed_in, monitor, beta, places):
    response = post_file(signed_in(monitor), beta, csv_bytes([incident_row()]))

    assert response.status_code == 200
    assert "organisation" in response.context["form"].errors
    assert not ImportJob.objects.exists()
    assert Incident.objects.count() == 0


def test_service_refuses_an_organisation_not_ones_own(monitor, beta, places):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        upload(monitor, beta, csv_bytes([incident_row()]))
    assert not ImportJob.objects.exists()
    assert AuditEntry.objects.filter(action="denied", user=monitor, organisation=beta).exists()


def test_commit_of_another_organisations_job_is_404_and_writes_nothing(signed_in, monitor, beta_job):
    client = signed_in(monitor)

    assert client.post(reverse("ingest:job-commit", args=[beta_job.public_id])).status_code == 404
    assert client.get(reverse("ingest:job-detail", args=[beta_job.public_id])).status_code == 404
    assert client.get(reverse("ingest:job-errors", args=[beta_job.public_id])).status_code == 404
    assert Incident.objects.count() == 0
    beta_job.refresh_from_db()
    assert beta_job.status == "valid"


def test_list_shows_only_ones_organisations_jobs(signed_in, monitor, alpha_job, beta_job):
    page = signed_in(monitor).get(reverse("ingest:job-list"))

    assert list(page.context["page"]) == [alpha_job]


def test_imo_sees_every_job(signed_in, imo, alpha_job, beta_job):
    page = signed_in(imo).get(reverse("ingest:job-list"))

    assert set(page.context["page"]) == {alpha_job, beta_job}
    assert signed_in(imo).get(reverse("ingest:job-detail", args=[beta_job.public_id])).status_code == 200


@pytest.mark.parametrize("name", ["ingest:job-list", "ingest:job-upload"])
def test_reader_is_refused(signed_in, reader, name):
    assert signed_in(reader).get(reverse(name)).status_code == 403


def test_reader_cannot_download_templates(signed_in, reader):
    assert signed_in(reader).get(reverse("ingest:template", args=["incidents", "xlsx"])).status_code == 403


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("ingest:job-list"))
    assert response.status_code == 302 and "/compte/" in response["Location"]


def test_job_list_queries_do_not_grow_with_jobs(
    signed_in, imo, monitor, alpha, places, django_assert_max_num_queries
):
    client = signed_in(imo)
    for number in range(3):
        upload(monitor, alpha, csv_bytes([incident_row(source_id=f"L-{number}")]))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("ingest:job-list"))
    for number in range(3, 15):
        upload(monitor, alpha, csv_bytes([incident_row(source_id=f"L-{number}")]))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("ingest:job-list"))
    assert len(response.context["page"]) == 15


def test_job_detail_queries_are_bounded(signed_in, monitor, alpha_job, django_assert_max_num_queries):
    client = signed_in(monitor)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("ingest:job-detail", args=[alpha_job.public_id])).status_code == 200


def test_running_job_is_polled_and_a_finished_one_reloads(signed_in, monitor, alpha_job):
    client = signed_in(monitor)
    ImportJob.objects.filter(pk=alpha_job.pk).update(status="validating", progress=1, row_count=4)
    url = reverse("ingest:job-status", args=[alpha_job.public_id])

    running = client.get(url, HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 2s"' in running.content.decode() and "HX-Refresh" not in running
    assert '<progress max="4" value="1">' in running.content.decode()

    ImportJob.objects.filter(pk=alpha_job.pk).update(status="valid")
    assert client.get(url, HTTP_HX_REQUEST="true")["HX-Refresh"] == "true"


def test_xlsx_template(signed_in, monitor):
    response = signed_in(monitor).get(reverse("ingest:template", args=["incidents", "xlsx"]))

    assert response.status_code == 200
    assert 'filename="sentinelle-modele-incidents.xlsx"' in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    data, instructions = workbook.worksheets[0], workbook["Instructions"]
    headers = [cell.value for cell in data[1]]
    tags = [cell.value for cell in data[2]]
    assert headers[:3] == ["Identifiant", "Date de l'incident", "Dernier jour (si plusieurs jours)"]
    assert tags[:5] == [
        "#event+id",
        "#date+occurred",
        "#date+occurred+end",
        "#meta+date_estimated",
        "#date+reported",
    ]
    assert "#affected+killed+f+children+age_0_5" in tags
    assert data.max_row == 2
    assert data.data_validations.dataValidation, "drop-down lists and number checks"
    listed = [row[0] for row in instructions.iter_rows(values_only=True)]
    assert "Catégories" in listed and "gbv" in listed
    assert workbook.properties.keywords == "sentinelle-import:incidents"


def test_csv_template(signed_in, monitor):
    response = signed_in(monitor).get(reverse("ingest:template", args=["incidents", "csv"]))

    text = response.content.decode("utf-8")
    first, second = text.lstrip("\ufeff").splitlines()[:2]
    assert text.startswith("\ufeff")
    assert first.startswith("Identifiant;Date de l'incident;")
    assert second.startswith("#event+id;#date+occurred;")


def test_unknown_template_is_404(signed_in, monitor):
    assert signed_in(monitor).get("/imports/modeles/inconnu.xlsx").status_code == 404


def test_errors_export_neutralises_formulas(signed_in, monitor, alpha, places):
    job = upload(monitor, alpha, csv_bytes([incident_row(date_start="=cmd|'/c calc'!A1")]))
    ImportJob.objects.filter(pk=job.pk).update(
        errors=[*job.errors, {"row": 9, "column": "@SUM(A1)", "value": "-2+3", "message": "+33 6 00"}]
    )

    response = signed_in(monitor).get(reverse("ingest:job-errors", args=[job.public_id]))

    lines = response.content.decode("utf-8").lstrip("\ufeff").splitlines()
    assert lines[0] == "Ligne;Colonne;Valeur;Message"
    assert lines[1].startswith("3;Date de l'incident;'=cmd|'/c calc'!A1;« =cmd")
    assert lines[2] == "9;'@SUM(A1);'-2+3;'+33 6 00"
    assert AuditEntry.objects.filter(action="export", object_id=str(job.public_id)).exists()


def test_file_too_large_is_explained(signed_in, monitor, alpha, settings):
    settings.SENTINELLE = {**settings.SENTINELLE, "IMPORT_MAX_BYTES": 1048576}

    response = post_file(signed_in(monitor), alpha, b"a;b\r\n" * 300_000)

    assert response.context["form"].errors["file"] == [
        "Le fichier est trop volumineux (1,4 Mo) ; la limite est de 1,0 Mo."
    ]
    assert not ImportJob.objects.exists()
