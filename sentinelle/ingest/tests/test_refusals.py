"""Every refused file: the exact French message with its row and column, and nothing written."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from sentinelle.ingest.kinds import _REGISTRY, ImportColumn, ImportKind, get_kind
from sentinelle.ingest.tests.conftest import (
    commit,
    csv_bytes,
    days_ago,
    errors_of,
    incident_row,
    raw_csv,
    upload,
    xlsx_bytes,
)
from sentinelle.ingest.workbooks import template_xlsx
from sentinelle.monitoring.models import Incident

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def french():
    with translation.override("fr"):
        yield


def refused(job) -> list[tuple]:
    """The job's errors, after checking that it wrote nothing and cannot be committed."""
    assert job.status == "invalid"
    assert Incident.objects.count() == 0
    with pytest.raises(ValidationError):
        commit(job.created_by, job)
    assert Incident.objects.count() == 0
    return errors_of(job)


def header(key: str) -> str:
    return get_kind("incidents").columns_by_key[key].french_label()


def test_unknown_pcode(monitor, alpha, places):
    job = upload(monitor, alpha, csv_bytes([incident_row(adm3_code="ML059999")]))

    assert refused(job) == [
        (3, "Commune (P-code)", "P-code inconnu « ML059999 » (version de la COD « test-cod »).")
    ]


def waiting(job) -> list[tuple]:
    """The job's values to map (column, value, rows), after checking that it wrote nothing and cannot be
    committed: a value that is not in its list is not an error, it waits for the mapping step."""
    assert job.status == "mapping" and job.error_count == 0
    assert Incident.objects.count() == 0
    with pytest.raises(ValidationError):
        commit(job.created_by, job)
    assert Incident.objects.count() == 0
    return [(entry["column"], entry["value"], entry["rows"]) for entry in job.unmapped]


def test_unknown_area_name_waits_for_a_mapping(monitor, alpha, places):
    job = upload(monitor, alpha, csv_bytes([incident_row(adm3_code="", adm3_name="Atlantide")]))

    assert waiting(job) == [("adm3_name", "Atlantide", 1)]


def test_date_that_does_not_exist(monitor, alpha, places):
    job = upload(monitor, alpha, csv_bytes([incident_row(date_start="31/02/2024")]))

    assert refused(job) == [(3, "Date de l'incident", "« 31/02/2024 » n'est pas une date qui existe.")]


def test_text_instead_of_a_date(monitor, alpha, places):
    job = upload(
        monitor, alpha, csv_bytes([incident_row(), incident_row(source_id="A-002", date_reported="hier")])
    )

    assert refused(job) == [
        (4, "Date de signalement", "« hier » n'est pas une date : écrivez-la 2024-03-31 ou 31/03/2024.")
    ]


def test_future_date(monitor, alpha, places):
    tomorrow = days_ago(-1).isoformat()
    job = upload(monitor, alpha, csv_bytes([incident_row(date_start=tomorrow, date_reported=tomorrow)]))

    # The domain's own message (services.incidents), placed at the file's column.
    future = translation.gettext("This date is in the future.")
    assert refused(job) == [(3, "Date de l'incident", future), (3, "Date de signalement", future)]


def test_unknown_category_waits_for_a_mapping(monitor, alpha, places):
    job = upload(monitor, alpha, csv_bytes([incident_row(categories="pillage")]))

    assert waiting(job) == [("categories", "pillage", 1)]
    # "Pillage" is a word partners use for thefts: the synonyms table suggests the category property.
    assert job.unmapped[0]["suggestions"][0] == ["property", ""]


def test_negative_count(monitor, alpha, places):
    job = upload(monitor, alpha, csv_bytes([incident_row(victims_killed_m_18_59=-2)]))

    assert refused(job) == [
        (
            3,
            header("victims_killed_m_18_59"),
            "« -2 » est négatif : un nombre de personnes ne peut pas être inférieur à 0.",
        )
    ]


def test_non_numeric_count(monitor, alpha, places):
    job = upload(monitor, alpha, csv_bytes([incident_row(victims_injured_f_12_17="deux")]))

    assert refused(job) == [(3, header("victims_injured_f_12_17"), "« deux » n'est pas un nombre entier.")]


def test_decimal_count(monitor, alpha, places):
    job = upload(monitor, alpha, xlsx_bytes([incident_row(victims_killed_m_18_59=2.5)]))

    assert refused(job) == [(3, header("victims_killed_m_18_59"), "« 2.5 » n'est pas un nombre entier.")]


def test_missing_required_column(monitor, alpha, places):
    content = raw_csv(
        [
            ["Identifiant", "Date de signalement", "Cercle (P-code)", "Catégories"],
            ["A-001", days_ago(3).isoformat(), "ML0501", "life"],
        ],
        delimiter=";",
    )

    job = upload(monitor, alpha, content)

    assert refused(job) == [
        (
            None,
            "Date de l'incident",
            "Colonne obligatoire manquante : « Date de l'incident » (HXL #date+occurred).",
        )
    ]


def test_missing_place_columns(monitor, alpha, places):
    content = raw_csv(
        [
            ["Date de l'incident", "Date de signalement", "Catégories"],
            [days_ago(5).isoformat(), days_ago(3).isoformat(), "life"],
        ]
    )

    job = upload(monitor, alpha, content)

    [(row, column, message)] = refused(job)
    assert (row, column) == (None, "Commune (P-code)")
    assert message.startswith(
        "Colonne obligatoire manquante : il faut au moins l'une des colonnes « Commune (P-code) »"
    )


def test_empty_cell_in_required_column(monitor, alpha, places):
    job = upload(monitor, alpha, csv_bytes([incident_row(date_reported="")]))

    assert refused(job) == [(3, "Date de signalement", "Cellule vide : cette colonne est obligatoire.")]


UNSUPPORTED = "Type de fichier non pris en charge : envoyez un classeur .xlsx ou un fichier CSV."
OLD_EXCEL = (
    "Les classeurs Excel 97-2003 (.xls) ne sont pas pris en charge : enregistrez le fichier au format "
    ".xlsx ou CSV."
)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", UNSUPPORTED),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, OLD_EXCEL),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", UNSUPPORTED),
    ],
    ids=["pdf", "xls", "png"],
)
def test_wrong_file_type(monitor, alpha, places, content, message):
    job = upload(monitor, alpha, content, filename="incidents.xlsx")

    assert refused(job) == [(None, "", message)]


@pytest.mark.parametrize(
    "content", [b"", b"\xef\xbb\xbf", b"\r\n;;;\r\n"], ids=["zero-bytes", "bom-only", "blank-rows"]
)
def test_empty_file(monitor, alpha, places, content):
    job = upload(monitor, alpha, content)

    assert refused(job) == [(None, "", "Le fichier est vide.")]


def test_template_without_data_rows(monitor, alpha, places):
    job = upload(monitor, alpha, csv_bytes([]))

    assert refused(job) == [(None, "", "Le fichier a des en-têtes de colonnes mais aucune ligne de données.")]


def test_unrelated_file(monitor, alpha, places):
    content = raw_csv([["Nom", "Prénom", "Âge"], ["Traoré", "Awa", "34"]], delimiter=";")

    job = upload(monitor, alpha, content)

    assert refused(job) == [
        (
            None,
            "",
            "Ce fichier ne suit pas le modèle « Incidents » : aucune de ses colonnes n'est reconnue. "
            "Téléchargez le modèle depuis cette page, ou étiquetez les colonnes avec les hashtags HXL.",
        )
    ]


class PopulationKind(ImportKind):
    """A stand-in for the population figures import of a later issue."""

    code = "population_test"
    label = "Population"
    columns = [
        ImportColumn("adm2_code", "Cercle (P-code)", "#adm2+code", required=True),
        ImportColumn("date", "Date", "#date", required=True),
        ImportColumn("idps", "Personnes déplacées", "#affected+idps", required=True),
    ]

    # Only its columns matter here: a file of this template must be recognised and refused for incidents.
    def build(self, row, context):
        raise AssertionError("a population row must never be built by these tests")

    def commit(self, *, actor, organisation, items):
        raise AssertionError("nothing may be written by these tests")


@pytest.fixture
def population_kind(monkeypatch):
    get_kind("incidents")  # loads the registry before it is patched
    monkeypatch.setitem(_REGISTRY, PopulationKind.code, PopulationKind())
    return _REGISTRY[PopulationKind.code]


def test_workbook_of_another_template(monitor, alpha, places, population_kind):
    content = template_xlsx(population_kind, [{"adm2_code": "ML0501", "date": "2024-03-01", "idps": 120}])

    job = upload(monitor, alpha, content, filename="population.xlsx")

    assert refused(job) == [
        (
            None,
            "",
            "Ce fichier est le modèle Sentinelle « Population », pas « Incidents » : choisissez le type "
            "d'import qui correspond au fichier, ou téléchargez le bon modèle.",
        )
    ]


def test_csv_of_another_template(monitor, alpha, places, population_kind):
    content = raw_csv([["#adm2+code", "#date", "#affected+idps"], ["ML0501", "2024-03-01", "120"]])

    job = upload(monitor, alpha, content)

    assert refused(job) == [
        (
            None,
            "",
            "Ce fichier ressemble au modèle « Population », pas à « Incidents » : choisissez le type "
            "d'import qui correspond au fichier.",
        )
    ]


def test_one_bad_row_among_good_ones_writes_nothing(monitor, alpha, places):
    rows = [incident_row(source_id=f"A-{n}") for n in range(1, 6)]
    rows[3]["adm3_code"] = "ML050199"

    job = upload(monitor, alpha, csv_bytes(rows))

    assert (job.row_count, job.valid_count, job.error_count) == (5, 4, 1)
    assert refused(job) == [
        (6, "Commune (P-code)", "P-code inconnu « ML050199 » (version de la COD « test-cod »).")
    ]


def test_same_identifier_twice_in_the_file(monitor, alpha, places):
    job = upload(monitor, alpha, csv_bytes([incident_row(), incident_row(summary="Autre")]))

    assert refused(job) == [
        (
            4,
            "Identifiant",
            "Même identifiant qu'à la ligne 3 : chaque ligne doit être un enregistrement différent.",
        )
    ]


def test_area_outside_the_monitors_areas(monitor, alpha, places):
    job = upload(monitor, alpha, csv_bytes([incident_row(adm2_code="ML0401", adm3_code="ML040101")]))

    assert refused(job) == [
        (3, "Commune (P-code)", "Cette zone est en dehors de vos zones de responsabilité.")
    ]


def test_commune_not_in_the_cercle_given(monitor, alpha, places):
    job = upload(monitor, alpha, csv_bytes([incident_row(adm2_code="ML0401")]))

    assert refused(job) == [(3, "Commune (P-code)", "Dourou (ML050101) n'est pas dans Ségou (ML0401).")]


def test_row_of_another_organisation(monitor, alpha, places):
    job = upload(monitor, alpha, csv_bytes([incident_row(organisation="BETA")]))

    assert refused(job) == [
        (3, "Organisation", "Cette ligne est pour « BETA », mais le fichier est importé pour ALPHA.")
    ]


def test_gbv_survivor_details_in_a_monitors_row(monitor, alpha, places):
    # A GBV row without them is an allegation (test_p2_gbv_allegations.py); with them, the row is refused.
    row = incident_row(categories="gbv", victims_killed_m_18_59=None, gbv_survivor_sex="f", gbv_type="rape")
    job = upload(monitor, alpha, csv_bytes([row]))

    message = translation.gettext(
        "Survivor details belong to the GBV form of a GBV service provider, recorded with the survivor's "
        "consent. Record this incident as a GBV allegation, without survivor details."
    )
    assert refused(job) == [(3, "Survivant·e VBG : sexe", message)]


def test_file_too_large_is_refused_before_any_job(monitor, alpha, places, settings):
    from sentinelle.ingest.models import ImportJob

    settings.SENTINELLE = {**settings.SENTINELLE, "IMPORT_MAX_BYTES": 1048576}
    with pytest.raises(ValidationError) as caught:
        upload(monitor, alpha, b"a;b\r\n" * 300_000)

    assert caught.value.messages == ["Le fichier est trop volumineux (1,4 Mo) ; la limite est de 1,0 Mo."]
    assert not ImportJob.objects.exists()


def test_damaged_workbook(monitor, alpha, places):
    content = xlsx_bytes([incident_row()])
    broken = io.BytesIO(content[: len(content) // 2]).getvalue()

    job = upload(monitor, alpha, broken, filename="incidents.xlsx")

    assert refused(job) == [(None, "", "Le classeur ne peut pas être lu (fichier endommagé ou protégé).")]
