"""Places, files and shortcuts for the import tests.

job = upload(monitor, alpha, csv_bytes(rows))        # through the service, as the upload page does
content = csv_bytes([{"date_start": "2024-03-01", ...}])   # the template's columns, by key
"""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone

from sentinelle.ingest.kinds import get_kind
from sentinelle.ingest.services import import_job_commit, import_job_upload
from sentinelle.ingest.workbooks import template_csv, template_xlsx
from sentinelle.monitoring.tests.factories import cercle_of, commune_of


@pytest.fixture
def places(mopti, segou):
    bandiagara = cercle_of(mopti, pcode="ML0501", name_fr="Bandiagara")
    dourou = commune_of(bandiagara, pcode="ML050101", name_fr="Dourou")
    segou_cercle = cercle_of(segou, pcode="ML0401", name_fr="Ségou")
    pelengana = commune_of(segou_cercle, pcode="ML040101", name_fr="Pélengana")
    return {"bandiagara": bandiagara, "dourou": dourou, "segou_cercle": segou_cercle, "pelengana": pelengana}


@pytest.fixture
def kind():
    return get_kind("incidents")


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def incident_row(**values) -> dict:
    """A valid row of the incidents template (by column key): two men killed in Dourou."""
    row = {
        "source_id": "A-001",
        "date_start": days_ago(10).isoformat(),
        "date_reported": days_ago(8).isoformat(),
        "adm2_code": "ML0501",
        "adm3_code": "ML050101",
        "categories": "life",
        "perpetrator_category": "nsag",
        "source_mechanism": "monitoring_interview",
        "summary": "Deux civils tués sur la route du marché.",
        "victims_killed_m_18_59": 2,
    }
    row.update(values)
    return row


def csv_bytes(rows: list[dict]) -> bytes:
    return template_csv(get_kind("incidents"), rows)


def xlsx_bytes(rows: list[dict]) -> bytes:
    return template_xlsx(get_kind("incidents"), rows)


def raw_csv(lines: list[list], *, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    return "\r\n".join(delimiter.join(str(cell) for cell in line) for line in lines).encode(encoding)


def upload(user, organisation, content: bytes, *, filename: str = "incidents.csv", **kwargs):
    return import_job_upload(
        actor=user, kind="incidents", organisation=organisation, filename=filename, content=content, **kwargs
    )


def commit(user, job, **kwargs):
    return import_job_commit(actor=user, job=job, **kwargs)


def errors_of(job) -> list[tuple]:
    return [(error["row"], error["column"], error["message"]) for error in job.errors]


# --- Partner files (tests/fixtures/) and the real P-codes they use ------------------------------------

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def mali_mopti(mopti):
    """The cercles and communes of the Mopti region that the partner files name, with their P-codes of
    the COD-AB 2015 (ML0501 is the cercle of Mopti here, as in the real geography)."""
    cercles = {
        "ML0501": "Mopti",
        "ML0502": "Bandiagara",
        "ML0506": "Douentza",
    }
    communes = {
        "ML050104": "Fatoma",
        "ML050105": "Konna",
        "ML050109": "Mopti",
        "ML050113": "Sio",
        "ML050114": "Socoura",
        "ML050208": "Dourou",
        "ML050211": "Kendié",
        "ML050218": "Sangha",
        "ML050609": "Hombori",
    }
    areas = {pcode: cercle_of(mopti, pcode=pcode, name_fr=name) for pcode, name in cercles.items()}
    for pcode, name in communes.items():
        areas[pcode] = commune_of(areas[pcode[:6]], pcode=pcode, name_fr=name)
    areas["ML05"] = mopti
    return areas
