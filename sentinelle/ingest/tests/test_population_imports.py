"""The population and people-in-need imports: templates, DTM hashtags, idempotence, refusals."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from sentinelle.displacement.models import PeopleInNeed, PopulationFigure
from sentinelle.ingest.kinds import get_kind
from sentinelle.ingest.services import import_job_commit, import_job_upload
from sentinelle.ingest.tests.conftest import errors_of, raw_csv
from sentinelle.ingest.workbooks import template_csv, template_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def french():
    with translation.override("fr"):
        yield


def header(kind: str, key: str) -> str:
    return get_kind(kind).columns_by_key[key].french_label()


def upload(user, organisation, content: bytes, kind: str = "population", filename: str = "chiffres.csv"):
    return import_job_upload(
        actor=user, kind=kind, organisation=organisation, filename=filename, content=content
    )


def figure_row(**values) -> dict:
    row = {
        "adm2_code": "ML0501",
        "adm3_code": "ML050101",
        "round_date": "2024-03-31",
        "status": "PDI",
        "households": 120,
        "individuals": 610,
        "n_f_0_5": 100,
        "n_m_0_5": 90,
    }
    row.update(values)
    return row


def imported(user, organisation, content: bytes, kind: str = "population"):
    job = upload(user, organisation, content, kind)
    assert job.status == "valid", job.errors
    return import_job_commit(actor=user, job=job)


def test_template_import_is_idempotent(monitor, alpha, places):
    content = template_csv(
        get_kind("population"), [figure_row(), figure_row(adm3_code="", status="réfugiés")]
    )

    first = imported(monitor, alpha, content)
    second = imported(monitor, alpha, content)

    assert (first.status, first.created_count) == ("committed", 2)
    assert (second.created_count, second.unchanged_count) == (0, 2)
    dourou = PopulationFigure.objects.get(area=places["dourou"])
    assert (dourou.status, dourou.individuals, dourou.households, dourou.source) == ("idp", 610, 120, "cmp")
    assert {(cell.sex, cell.age_group, cell.count) for cell in dourou.breakdown.all()} == {
        ("f", "0_5", 100),
        ("m", "0_5", 90),
    }
    assert PopulationFigure.objects.get(area=places["bandiagara"]).status == "refugee"


def test_xlsx_template(monitor, alpha, places):
    job = upload(monitor, alpha, template_xlsx(get_kind("population"), [figure_row()]), filename="c.xlsx")

    assert job.status == "valid"
    assert import_job_commit(actor=monitor, job=job).created_count == 1


def test_dtm_hashtags_give_one_figure_per_status(imo, alpha, places):
    content = raw_csv(
        [
            ["Commune", "Date", "PDI ind", "PDI mén", "Retournés ind", "Rapatriés ind", "Réfugiés ind"],
            [
                "#adm3+code",
                "#date+reported",
                "#affected+idps+ind",
                "#affected+idps+hh",
                "#affected+returnees+ind",
                "#affected+returnees+abroad+ind",
                "#affected+refugees+ind",
            ],
            ["ML050101", "31/03/2024", "500", "90", "200", "", "15"],
            ["ML040101", "31/03/2024", "", "", "", "40", ""],
        ]
    )

    job = imported(imo, alpha, content)

    assert job.created_count == 4  # figures, not rows
    figures = set(PopulationFigure.objects.values_list("area__pcode", "status", "individuals", "households"))
    assert figures == {
        ("ML050101", "idp", 500, 90),
        ("ML050101", "idp_returnee", 200, None),
        ("ML050101", "refugee", 15, None),
        ("ML040101", "repatriate", 40, None),
    }
    assert imported(imo, alpha, content).unchanged_count == 4


def refused(job, model=PopulationFigure) -> list[tuple]:
    assert job.status == "invalid"
    assert model.objects.count() == 0
    with pytest.raises(ValidationError):
        import_job_commit(actor=job.created_by, job=job)
    assert model.objects.count() == 0
    return errors_of(job)


def test_unknown_pcode(monitor, alpha, places):
    job = upload(monitor, alpha, template_csv(get_kind("population"), [figure_row(adm3_code="ML059999")]))

    assert refused(job) == [
        (
            3,
            header("population", "adm3_code"),
            "P-code inconnu « ML059999 » (version de la COD « test-cod »).",
        )
    ]


def test_negative_number(monitor, alpha, places):
    job = upload(monitor, alpha, template_csv(get_kind("population"), [figure_row(individuals=-4)]))

    assert refused(job) == [
        (
            3,
            header("population", "individuals"),
            "« -4 » est négatif : un nombre de personnes ne peut pas être inférieur à 0.",
        )
    ]


def test_breakdown_over_total(monitor, alpha, places):
    job = upload(monitor, alpha, template_csv(get_kind("population"), [figure_row(individuals=150)]))

    [(row, column, message)] = refused(job)
    assert (row, column) == (3, header("population", "n_f_0_5"))
    with translation.override("en"):
        assert (
            message
            == translation.gettext(
                "The breakdown by sex and age (%(total)s) is more than the individuals (%(individuals)s)."
            )
            % {"total": 190, "individuals": 150}
            or "(190)" in message
        )


def test_wrong_status(monitor, alpha, places):
    job = upload(
        monitor,
        alpha,
        template_csv(
            get_kind("population"), [figure_row(), figure_row(adm3_code="ML050102", status="nomades")]
        ),
    )

    # Every problem of the row at once: its unknown P-code is an error, and its status, not in the list,
    # waits for the mapping step (not an error); nothing is written.
    assert job.status == "mapping" and job.valid_count == 1
    assert [(e["row"], e["column"], e["value"]) for e in job.errors] == [
        (4, header("population", "adm3_code"), "ML050102")
    ]
    assert [(entry["column"], entry["value"], entry["rows"]) for entry in job.unmapped] == [
        ("status", "nomades", 1)
    ]
    assert PopulationFigure.objects.count() == 0


def test_host_status_refused(monitor, alpha, places):
    job = upload(monitor, alpha, template_csv(get_kind("population"), [figure_row(status="host")]))

    [(row, column, _message)] = refused(job)
    assert (row, column) == (3, header("population", "status"))


def test_region_is_not_a_figure_area(monitor, alpha, places):
    job = upload(
        monitor, alpha, template_csv(get_kind("population"), [figure_row(adm3_code="", adm2_code="ML05")])
    )

    [(row, column, _message)] = refused(job)
    assert (row, column) == (3, header("population", "adm2_code"))


def test_area_outside_monitor_scope_refused(monitor, alpha, places):
    job = upload(
        monitor, alpha, template_csv(get_kind("population"), [figure_row(adm2_code="", adm3_code="ML040101")])
    )

    [(row, column, _message)] = refused(job)
    assert (row, column) == (3, header("population", "adm3_code"))


def test_one_bad_row_refuses_the_file(monitor, alpha, places):
    rows = [figure_row(), figure_row(adm3_code="ML050199")]
    job = upload(monitor, alpha, template_csv(get_kind("population"), rows))

    assert [error[0] for error in refused(job)] == [4]


# --- People in need ---------------------------------------------------------------------------------


def need_row(**values) -> dict:
    row = {"adm2_code": "ML0501", "year": 2024, "population_status": "PDI", "people_in_need": 5200}
    row.update(values)
    return row


def test_people_in_need_import(imo, alpha, places):
    content = template_csv(
        get_kind("people_in_need"),
        [
            need_row(),
            need_row(population_status="host", people_in_need=800),
            need_row(adm2_code="", adm1_code="ML04"),
        ],
    )

    first = imported(imo, alpha, content, kind="people_in_need")
    second = imported(imo, alpha, content, kind="people_in_need")

    assert (first.created_count, second.created_count, second.unchanged_count) == (3, 0, 3)
    assert PeopleInNeed.objects.get(area=places["bandiagara"], population_status="idp").source == "HNO 2024"


def test_people_in_need_hxl_inneed(imo, alpha, places):
    content = raw_csv(
        [
            ["Cercle", "Année", "Groupe", "PIN", "Source"],
            ["#adm2+code", "#date+year", "#meta+status", "#inneed", "#meta+source"],
            ["ML0401", "2024", "réfugiés", "300", "HNO 2024"],
        ]
    )

    assert imported(imo, alpha, content, kind="people_in_need").created_count == 1


def test_people_in_need_refusals(imo, alpha, places):
    content = template_csv(
        get_kind("people_in_need"), [need_row(people_in_need=-1), need_row(adm2_code="ML0599")]
    )
    job = upload(imo, alpha, content, kind="people_in_need")

    errors = refused(job, PeopleInNeed)
    assert [(row, column) for row, column, _m in errors] == [
        (3, header("people_in_need", "people_in_need")),
        (4, header("people_in_need", "adm2_code")),
    ]


def test_children_and_adults_without_finer_age_group_are_kept(monitor, alpha, places):
    """Issue 14, point 1: a DTM table by sex, children and adults only (#affected+f+children)."""
    content = raw_csv(
        [
            ["Commune", "Date", "Statut", "Personnes", "Filles", "Garçons", "Femmes", "Hommes"],
            [
                "#adm3+code",
                "#date+reported",
                "#meta+status",
                "#affected+ind",
                "#affected+f+children",
                "#affected+m+children",
                "#affected+f+adults",
                "#affected+m+adults",
            ],
            ["ML050101", "31/03/2024", "PDI", "610", "180", "170", "140", "120"],
        ]
    )

    imported(monitor, alpha, content)

    dourou = PopulationFigure.objects.get(area=places["dourou"])
    assert {(cell.sex, cell.age_group, cell.count) for cell in dourou.breakdown.all()} == {
        ("f", "0_17", 180),
        ("m", "0_17", 170),
        ("f", "18_plus", 140),
        ("m", "18_plus", 120),
    }


def test_children_with_and_without_finer_age_group_in_a_row_are_refused(monitor, alpha, places):
    job = upload(monitor, alpha, template_csv(get_kind("population"), [figure_row(n_f_0_17=300)]))

    assert [(row, column) for row, column, _message in refused(job)] == [
        (3, header("population", "n_f_0_17"))
    ]
