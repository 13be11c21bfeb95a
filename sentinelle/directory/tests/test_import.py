"""The "services" kind of the shared import mechanism, and the export -> import round trip."""

import pytest

from sentinelle.core.permissions import MODEL_SCOPES, ScopeRule
from sentinelle.directory.exports import services_workbook
from sentinelle.directory.models import Service, ServiceStatus
from sentinelle.directory.selectors import service_list
from sentinelle.directory.tests.factories import ServiceFactory
from sentinelle.ingest.kinds import get_kind
from sentinelle.ingest.kinds import services as services_kind  # registers the kind  # noqa: F401
from sentinelle.ingest.models import ImportStatus
from sentinelle.ingest.services import import_job_commit, import_job_upload
from sentinelle.ingest.workbooks import template_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def importjob_scope(monkeypatch):
    if "ingest.importjob" not in MODEL_SCOPES:
        monkeypatch.setitem(MODEL_SCOPES, "ingest.importjob", ScopeRule(organisation="organisation"))


def _row(**values) -> dict:
    row = {
        "source_id": "S-1",
        "name": "Clinique juridique de Hombori",
        "service_type": "legal",
        "pcode": "ML050609",
        "areas_served": "ML0506; ML050109",
        "contact_phone": "+223 70 00 00 01",
        "cost": "free",
        "status": "active",
        "last_verified_on": "2024-03-01",
    }
    row.update(values)
    return row


def _upload(user, organisation, content):
    return import_job_upload(
        actor=user, kind="services", organisation=organisation, filename="services.xlsx", content=content
    )


def test_the_kind_is_registered_with_french_headers_and_hxl_tags():
    kind = get_kind("services")
    tags = {column.hxl for column in kind.columns}
    assert {"#org+acronym", "#sector+type", "#adm3+code", "#loc+name", "#contact+phone", "#meta+id"} <= tags
    assert kind.columns_by_key["name"].french_label()


def test_importing_services_twice_creates_them_once(manager, alpha, places):
    content = template_xlsx(
        get_kind("services"), [_row(), _row(source_id="S-2", name="CSCom", service_type="health")]
    )
    job = _upload(manager, alpha, content)
    assert job.status == ImportStatus.VALID, job.errors
    job = import_job_commit(actor=manager, job=job)
    assert (job.status, job.created_count) == (ImportStatus.COMMITTED, 2)
    service = Service.objects.get(source_id="S-1")
    assert (service.provider, service.area, service.service_type) == (alpha, places.hombori, "legal")
    assert set(service.areas_served.all()) == {places.douentza_cercle, places.mopti_commune}
    again = import_job_commit(actor=manager, job=_upload(manager, alpha, content))
    assert (again.created_count, again.unchanged_count) == (0, 2)
    assert Service.objects.count() == 2


def test_errors_name_the_row_and_the_column(manager, alpha, beta, places):
    rows = [
        _row(pcode="ML9999"),
        _row(source_id="S-2", provider="BETA"),
        _row(source_id="S-3", pcode="ML0506"),
        _row(source_id="S-4", status="perhaps"),
    ]
    job = _upload(manager, alpha, template_xlsx(get_kind("services"), rows))
    # An unknown status is a partner's own word, listed once for the mapping step, not an error per row.
    assert job.status == ImportStatus.MAPPING
    errors = {error["row"]: error for error in job.errors}
    assert set(errors) == {3, 4, 5}
    assert "ML9999" in errors[3]["message"]
    assert "BETA" in errors[4]["message"]
    assert "ML0506" in errors[5]["message"]
    assert [(e["column"], e["value"], e["first_row"]) for e in job.unmapped] == [("status", "perhaps", 6)]
    assert not Service.objects.exists()


def test_an_exported_directory_imports_again_unchanged(imo, alpha, beta, places):
    ServiceFactory(provider=alpha, area=places.douentza, areas_served=[places.douentza_cercle], name="A")
    ServiceFactory(provider=beta, area=places.segou_commune, name="B", status=ServiceStatus.SUSPENDED,
                   source_id="beta-1")  # fmt: skip
    content, count = services_workbook(service_list(user=imo, status=""))
    assert count == 2
    job = _upload(imo, alpha, content)
    assert job.status == ImportStatus.VALID, job.errors
    assert job.existing_count == 2
    job = import_job_commit(actor=imo, job=job)
    assert (job.created_count, job.unchanged_count) == (0, 2)
    assert Service.objects.count() == 2
