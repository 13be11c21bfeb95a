"""Pages: who sees and who writes, bounded queries on lists, French-path URLs, forms' errors."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from sentinelle.core.models import AuditAction, AuditEntry
from sentinelle.displacement.models import DisplacementEvent, PeopleInNeed, PopulationFigure, ReturnIntention
from sentinelle.displacement.tests.factories import d, make_event, make_figure, make_need

pytestmark = pytest.mark.django_db

LIST_PAGES = [
    "displacement:overview",
    "displacement:figure-list",
    "displacement:event-list",
    "displacement:intention-list",
    "displacement:need-list",
]
FORM_PAGES = [
    "displacement:figure-create",
    "displacement:event-create",
    "displacement:intention-create",
    "displacement:need-create",
]


def test_urls_are_french():
    assert reverse("displacement:overview") == "/deplacements/"
    assert reverse("displacement:event-create") == "/deplacements/evenements/nouveau/"


@pytest.mark.parametrize("name", LIST_PAGES + FORM_PAGES)
def test_reader_is_refused(signed_in, reader, name):
    response = signed_in(reader).get(reverse(name))

    assert response.status_code == 403


@pytest.mark.parametrize("name", FORM_PAGES)
def test_caseworker_reads_but_cannot_write(signed_in, caseworker_in_area, name):
    client = signed_in(caseworker_in_area)

    assert client.get(reverse("displacement:overview")).status_code == 200
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", LIST_PAGES)
def test_list_pages_bounded_queries(signed_in, imo, alpha, beta, places, name, django_assert_max_num_queries):
    for month in range(1, 7):
        for area in (places.dourou, places.kendie, places.hombori, places.segou_cercle):
            make_figure(area, alpha, round_date=d(2024, month, 28), individuals=100 * month)
        make_event(places.dourou, beta, date=d(2024, month, 2))
    make_need(places.bandiagara, alpha, year=2024)
    client = signed_in(imo)
    url = reverse(name) + ("?year=2024" if name.endswith("need-list") else "")

    with django_assert_max_num_queries(20):
        response = client.get(url)

    assert response.status_code == 200


def test_overview_shows_counted_totals_and_map(signed_in, monitor, alpha, places):
    make_figure(places.bandiagara, alpha, round_date=d(2024, 2, 29), individuals=1000)
    make_figure(places.dourou, alpha, round_date=d(2024, 3, 31), individuals=400)
    make_figure(places.kendie, alpha, round_date=d(2024, 3, 31), individuals=250, status="refugee")

    response = signed_in(monitor).get(reverse("displacement:overview"), {"as_of": "2024-04-30"})

    rows = response.context["rows"]
    assert [(row["pcode"], row["cells"], row["individuals"]) for row in rows] == [
        ("ML0501", [400, 0, 0, 250], 650)
    ]
    assert [point["total"] for point in response.context["trend"]] == [1000, 650]
    assert "<polyline" in response.content.decode()


def test_monitor_records_a_figure(signed_in, monitor, alpha, places):
    response = signed_in(monitor).post(
        reverse("displacement:figure-create"),
        {
            "organisation": alpha.pk,
            "area": "ML050101",
            "round_date": "2024-03-31",
            "status": "idp",
            "source": "cmp",
            "individuals": "120",
            "households": "25",
            "n_f_0_5": "40",
        },
    )

    assert response.status_code == 302
    figure = PopulationFigure.objects.get()
    assert (figure.area, figure.individuals, figure.breakdown.get().count) == (places.dourou, 120, 40)


def test_figure_form_errors(signed_in, monitor, alpha, places):
    with translation.override("en"):
        response = signed_in(monitor).post(
            reverse("displacement:figure-create"),
            {
                "organisation": alpha.pk,
                "area": "ML059999",
                "round_date": "2024-03-31",
                "status": "idp",
                "source": "cmp",
                "individuals": "10",
            },
            HTTP_ACCEPT_LANGUAGE="en",
        )

    assert response.status_code == 200
    assert "ML059999" in str(response.context["form"].errors["area"])
    assert PopulationFigure.objects.count() == 0


def test_breakdown_over_total_shown_on_the_form(signed_in, monitor, alpha, places):
    response = signed_in(monitor).post(
        reverse("displacement:figure-create"),
        {
            "organisation": alpha.pk,
            "area": "ML050101",
            "round_date": "2024-03-31",
            "status": "idp",
            "source": "cmp",
            "individuals": "10",
            "n_f_0_5": "8",
            "n_m_0_5": "8",
        },
    )

    assert response.status_code == 200
    assert "(16)" in " ".join(response.context["form"].non_field_errors())
    assert PopulationFigure.objects.count() == 0


def test_other_organisation_cannot_open_alpha_figure_for_edit(signed_in, outsider, alpha, places):
    figure = make_figure(places.dourou, alpha)

    response = signed_in(outsider).get(reverse("displacement:figure-edit", args=[figure.public_id]))

    assert response.status_code == 404
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, user=outsider).count() == 1


def test_the_list_offers_edit_only_on_figures_the_user_may_change(signed_in, manager, alpha, beta, places):
    """Issue 15, item 7: alpha's manager sees "Edit" on alpha's figures, never on another source's."""
    own = make_figure(places.dourou, alpha)
    other = make_figure(places.kendie, beta)
    client = signed_in(manager)

    page = client.get(reverse("displacement:figure-list")).content.decode()

    assert reverse("displacement:figure-edit", args=[own.public_id]) in page
    assert reverse("displacement:figure-edit", args=[other.public_id]) not in page
    assert "BETA" in page  # the figure itself is listed, only its edit link is not
    assert client.get(reverse("displacement:figure-edit", args=[other.public_id])).status_code == 404


def test_the_edit_links_cost_the_same_queries_whatever_the_page(signed_in, manager, alpha, beta, places):
    client = signed_in(manager)
    make_figure(places.dourou, alpha)
    with CaptureQueriesContext(connection) as one_row:
        client.get(reverse("displacement:figure-list"))
    for month in range(1, 13):
        make_figure(places.kendie, beta, round_date=d(2024, month, 28))
        make_figure(places.dourou, alpha, round_date=d(2024, month, 27))
    with CaptureQueriesContext(connection) as many_rows:
        client.get(reverse("displacement:figure-list"))

    assert len(many_rows.captured_queries) == len(one_row.captured_queries)


def test_monitor_of_alpha_cannot_post_for_beta(signed_in, monitor, beta, places):
    response = signed_in(monitor).post(
        reverse("displacement:figure-create"),
        {
            "organisation": beta.pk,
            "area": "ML050101",
            "round_date": "2024-03-31",
            "status": "idp",
            "source": "cmp",
            "individuals": "10",
        },
    )

    # BETA is not among the choices of an ALPHA monitor.
    assert response.status_code == 200 and "organisation" in response.context["form"].errors
    assert PopulationFigure.objects.count() == 0


def test_imo_edits_a_figure(signed_in, imo, alpha, places):
    figure = make_figure(places.dourou, alpha, individuals=100)
    url = reverse("displacement:figure-edit", args=[figure.public_id])
    client = signed_in(imo)
    assert client.get(url).status_code == 200

    response = client.post(
        url,
        {
            "organisation": alpha.pk,
            "area": "ML050101",
            "round_date": "2024-03-31",
            "status": "idp",
            "source": "cmp",
            "individuals": "130",
            "households": "20",
        },
    )

    assert response.status_code == 302
    figure.refresh_from_db()
    assert figure.individuals == 130


def test_event_intention_and_need_forms(signed_in, monitor, alpha, places):
    client = signed_in(monitor)

    assert (
        client.post(
            reverse("displacement:event-create"),
            {
                "organisation": alpha.pk,
                "date": "2024-03-02",
                "destination_area": "Dourou",
                "individuals": "300",
                "cause": "armed_conflict",
                "source": "cmp",
            },
        ).status_code
        == 302
    )
    assert (
        client.post(
            reverse("displacement:intention-create"),
            {
                "organisation": alpha.pk,
                "area": "ML050101",
                "survey_date": "2024-03-02",
                "population_status": "idp",
                "households_surveyed": "10",
                "wish_return": "7",
                "wish_stay": "2",
                "wish_elsewhere": "1",
                "conditions": ["security"],
                "source": "cmp",
            },
        ).status_code
        == 302
    )
    assert (
        client.post(
            reverse("displacement:need-create"),
            {
                "organisation": alpha.pk,
                "area": "ML0501",
                "year": "2024",
                "population_status": "idp",
                "people_in_need": "5000",
                "source": "HNO 2024",
            },
        ).status_code
        == 302
    )
    assert (
        DisplacementEvent.objects.count(),
        ReturnIntention.objects.count(),
        PeopleInNeed.objects.count(),
    ) == (
        1,
        1,
        1,
    )
    assert DisplacementEvent.objects.get().origin_area is None


def test_form_errors_in_french(signed_in, monitor, alpha, places):
    with translation.override("fr"):
        response = signed_in(monitor).post(
            reverse("displacement:figure-create"),
            {
                "organisation": alpha.pk,
                "area": "Atlantide",
                "round_date": "31/02/2024",
                "status": "idp",
                "source": "cmp",
                "individuals": "-3",
            },
        )

    errors = response.context["form"].errors
    assert "Atlantide" in errors["area"][0] and "Aucune" in errors["area"][0]
    assert errors["round_date"] == ["Saisissez une date valide."]
    assert errors["individuals"] == ["Assurez-vous que cette valeur est supérieure ou égale à 0."]
    assert PopulationFigure.objects.count() == 0


# --- Area pickers (issue 15, item 5) -----------------------------------------------------------------


def test_the_area_picker_suggests_the_monitors_areas_only(signed_in, monitor, places):
    """alpha's monitor works in Mopti: the figure form asks for suggestions within Mopti only."""
    client = signed_in(monitor)
    form = client.get(reverse("displacement:figure-create")).context["form"]
    assert form.fields["area"].limits == [places.mopti]

    suggest = reverse("geography:area-suggest")
    query = {"field": "area", "perm": "population.manage", "levels": "2,3"}
    assert "Pélengana" not in client.get(suggest, {**query, "area": "pel"}).content.decode()
    assert "Dourou" in client.get(suggest, {**query, "area": "dou"}).content.decode()


def test_a_figure_posted_outside_the_monitors_areas_is_refused(signed_in, monitor, alpha, places):
    data = {
        "organisation": alpha.pk,
        "area": "Pélengana (commune, ML040101)",
        "round_date": "2024-03-31",
        "status": "idp",
        "source": "cmp",
        "individuals": "10",
    }
    response = signed_in(monitor).post(reverse("displacement:figure-create"), data)

    assert response.status_code == 200 and response.context["form"].errors["area"]
    assert PopulationFigure.objects.count() == 0
    data["area"] = "Dourou (commune, ML050101)"
    assert signed_in(monitor).post(reverse("displacement:figure-create"), data).status_code == 302
    assert PopulationFigure.objects.get().area == places.dourou


def test_the_origin_of_an_event_may_lie_anywhere(signed_in, monitor, alpha, places):
    response = signed_in(monitor).post(
        reverse("displacement:event-create"),
        {
            "organisation": alpha.pk,
            "date": "2024-03-02",
            "destination_area": "Dourou",
            "origin_area": "Pélengana",
            "individuals": "300",
            "cause": "armed_conflict",
            "source": "cmp",
        },
    )

    assert response.status_code == 302
    assert DisplacementEvent.objects.get().origin_area == places.pelengana
