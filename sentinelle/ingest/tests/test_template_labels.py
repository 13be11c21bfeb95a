"""Templates speak French (issue 14, point 7).

The drop-down lists of the XLSX templates used to show codes (state_forces, nsag); they now show the
labels in the reader's language (French, English for an English reader), and an import reads a label or
a code alike, case and accents ignored, in XLSX and CSV. The partner files tests/fixtures/p7_modele_* are
the template filled once with codes and once with labels (exact, without accents, in capitals, in
English): they import into the same records, and importing either after the other changes nothing.
"""

import io

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from sentinelle.core.text import strip_accents
from sentinelle.ingest.kinds import all_kinds, get_kind
from sentinelle.ingest.kinds.base import CODE, CODES
from sentinelle.ingest.tests.conftest import commit, fixture_bytes, upload
from sentinelle.ingest.workbooks import template_xlsx
from sentinelle.monitoring.models import Incident

pytestmark = pytest.mark.django_db


def drop_down_lists(content: bytes) -> dict[str, list[str]]:
    """{header of the data sheet: the values its drop-down list offers}, read as Excel would."""
    workbook = load_workbook(io.BytesIO(content))
    data, lists = workbook.worksheets[0], workbook["Listes" if "Listes" in workbook.sheetnames else "Lists"]
    found = {}
    for validation in data.data_validations.dataValidation:
        if validation.type != "list":
            continue
        column = str(validation.sqref).split(":")[0].rstrip("0123456789")
        header = data[f"{column}1"].value
        if validation.formula1.startswith('"'):
            found[header] = validation.formula1.strip('"').split(",")
            continue
        reference = validation.formula1.split("!")[1].replace("$", "")
        found[header] = [cell.value for row in lists[reference] for cell in row]
    return found


def test_the_french_template_lists_the_french_labels():
    with translation.override("fr"):
        lists = drop_down_lists(template_xlsx(get_kind("incidents")))

    assert lists["Auteur présumé"] == [
        "Forces armées ou de sécurité de l'État",
        "Groupe armé non étatique",
        "Groupe armé communautaire ou milice",
        "Membre de la famille",
        "Criminel",
        "Autre",
        "Inconnu",
    ]
    assert "A : fiable" in lists["Fiabilité de la source (A-F)"]
    assert lists["Date estimée (oui/non)"] == ["oui", "non"]
    # No code left in a list: people choose words, the import finds the codes.
    every = {value for values in lists.values() for value in values}
    assert not every & {"state_forces", "nsag", "militia", "monitoring_interview", "organisation"}


def test_the_english_template_lists_the_english_labels():
    lists = drop_down_lists(template_xlsx(get_kind("incidents"), language="en"))

    assert lists["Alleged perpetrator"][:2] == ["State armed or security forces", "Non-state armed group"]
    assert lists["Date estimated (yes/no)"] == ["yes", "no"]


def test_the_template_page_gives_the_readers_language(signed_in, monitor):
    client = signed_in(monitor)
    url = reverse("ingest:template", args=["incidents", "xlsx"])

    french = drop_down_lists(client.get(url).content)
    english = drop_down_lists(client.get(url, HTTP_ACCEPT_LANGUAGE="en").content)

    assert "Groupe armé non étatique" in french["Auteur présumé"]
    assert "Non-state armed group" in english["Alleged perpetrator"]


@pytest.mark.parametrize("kind", [kind.code for kind in all_kinds()])
def test_every_label_of_every_list_reads_as_its_code(kind):
    """What a drop-down list offers, in either language, written as is, without accents or in capitals,
    is read as the code it stands for (and the code as itself)."""
    for column in get_kind(kind).columns:
        if column.type not in (CODE, CODES) or column.codes is None:
            continue
        for language in ("fr", "en"):
            with translation.override(language):
                described = column.codes.describe()
            for code, label in described:
                for spelling in (code, label, strip_accents(label).upper(), f"  {label.lower()} "):
                    assert column.codes.get(spelling) == code, (kind, column.key, language, spelling)


def records() -> set[tuple]:
    """Every incident as the fields the labels and codes decide (and its identity)."""
    return {
        (
            incident.source_id,
            incident.date_start,
            incident.date_estimated,
            incident.area.pcode,
            tuple(sorted(link.category for link in incident.category_links.all())),
            incident.perpetrator_category,
            incident.source_mechanism,
            incident.reliability,
            incident.sharing_level,
            incident.summary,
            tuple(sorted((v.outcome, v.sex, v.age_group, v.count) for v in incident.victim_counts.all())),
        )
        for incident in Incident.objects.select_related("area").prefetch_related(
            "category_links", "victim_counts"
        )
    }


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_a_file_filled_with_labels_imports_exactly_like_one_filled_with_codes(
    monitor, alpha, mali_mopti, extension
):
    codes = upload(monitor, alpha, fixture_bytes(f"p7_modele_codes.{extension}"), filename=f"c.{extension}")
    assert codes.status == "valid", codes.errors
    assert commit(monitor, codes).created_count == 3
    with_codes = records()

    labels = upload(
        monitor, alpha, fixture_bytes(f"p7_modele_libelles.{extension}"), filename=f"l.{extension}"
    )

    # Read as the same rows: the same content identifiers, hence already imported.
    assert labels.status == "valid" and labels.unmapped == [], (labels.errors, labels.unmapped)
    assert labels.existing_count == 3
    assert [row["values"] for row in labels.preview["rows"]] == [
        row["values"] for row in codes.preview["rows"]
    ]
    labels = commit(monitor, labels)
    assert (labels.created_count, labels.unchanged_count) == (0, 3)
    assert records() == with_codes
    assert {record[5] for record in with_codes} == {"nsag", "state_forces", "militia"}
    assert {record[4] for record in with_codes} == {("life",), ("liberty", "property"), ("movement",)}


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_codes_after_labels_change_nothing_either(monitor, alpha, mali_mopti, extension):
    first = commit(monitor, upload(monitor, alpha, fixture_bytes(f"p7_modele_libelles.{extension}")))
    assert first.created_count == 3
    before = records()

    again = commit(monitor, upload(monitor, alpha, fixture_bytes(f"p7_modele_codes.{extension}")))

    assert (again.created_count, again.unchanged_count) == (0, 3)
    assert records() == before


def test_csv_and_workbook_of_labels_are_the_same_records(monitor, alpha, mali_mopti):
    commit(monitor, upload(monitor, alpha, fixture_bytes("p7_modele_libelles.xlsx"), filename="l.xlsx"))

    again = commit(monitor, upload(monitor, alpha, fixture_bytes("p7_modele_libelles.csv")))

    assert (again.created_count, again.unchanged_count) == (0, 3)


def test_the_english_template_filled_in_english_imports(monitor, alpha, mali_mopti):
    row = {
        "date_start": "2026-02-15",
        "date_reported": "2026-02-16",
        "date_estimated": "no",
        "adm2_code": "ML0501",
        "adm3_code": "ML050113",
        "categories": "Violation of the right to life",
        "perpetrator_category": "Non-state armed group",
        "source_mechanism": "Protection monitoring interview",
        "reliability": "B: usually reliable",
        "sharing_level": "Reporting organisation only",
        "summary": "Deux hommes tués au bord du fleuve.",
        "victims_killed_m_18_59": 2,
    }
    english = template_xlsx(get_kind("incidents"), [row], language="en")

    job = upload(monitor, alpha, english, filename="en.xlsx")

    assert job.status == "valid", (job.errors, job.unmapped)
    # The same incident as the French file filled with codes: imported once.
    commit(monitor, upload(monitor, alpha, fixture_bytes("p7_modele_codes.csv")))
    assert commit(monitor, job).unchanged_count == 1
