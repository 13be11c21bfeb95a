"""Dashboard figures against the hand-counted world (dashboards_world.py), the shared filters, access."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from sentinelle.core.models import AuditAction, AuditEntry
from sentinelle.monitoring.tests.factories import cercle_of, make_incident, victim
from sentinelle.reports.dashboards.exports import table_lines
from sentinelle.reports.dashboards.figures import FIGURES
from sentinelle.reports.dashboards.pages import PAGES
from sentinelle.reports.dashboards.scope import DashboardScope
from sentinelle.reports.forms.dashboards import period_dates
from sentinelle.reports.tests.dashboards_world import world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def values(figure) -> dict:
    """{(row code, column code): exact value} of a figure computed for an analyst."""
    table = figure.table
    out = {}
    for row in table.all_rows():
        for column, cell in zip(table.columns, row.cells, strict=True):
            out[(row.code, column.code)] = cell.value
    return out


def column(figure, code="count") -> dict:
    index = [c.code for c in figure.table.columns].index(code)
    return {row.code: row.cells[index].value for row in figure.table.rows}


def compute(key, user, **scope):
    return FIGURES[key](DashboardScope.for_user(user, **scope))


def test_every_figure_against_the_hand_counts(world, imo):
    by_month = compute("incidents_by_month", imo)
    totals = {
        c.code: cell.value
        for c, cell in zip(by_month.table.columns, by_month.table.totals.cells, strict=True)
    }
    # The linked duplicate and the draft do not count; the unconsented GBV incident is in no figure.
    assert {k: v for k, v in totals.items() if k != "__total__"} == {
        "life": 7,
        "gbv": 2,
        "child_rights": 1,
        "explosive": 1,
    }
    assert column(compute("incidents_map", imo)) == {"ML05": 8, "ML04": 2}
    victims = values(compute("victims_by_sex_age", imo))
    assert victims[("18_59", "m")] == 13 and victims[("18_59", "f")] == 2
    assert victims[("12_17", "m")] == 3 and victims[("12_17", "f")] == 1
    assert victims[("__total__", "__total__")] == 19
    assert column(compute("gbv_types", imo)) == {"rape": 2}
    # MRM: the killing of three boys counts three, the attack on a school once.
    assert column(compute("grave_violations", imo)) == {"killing": 3, "attack_school": 1}
    assert values(compute("grave_violations_by_sex_age", imo))[("12_17", "m")] == 3
    eo = values(compute("eo_casualties", imo))
    assert eo[("killed", "m")] == 1 and eo[("injured", "f")] == 1 and eo[("__total__", "__total__")] == 2
    assert column(compute("displacement_by_status", imo), "individuals") == {"idp": 1200, "idp_returnee": 40}
    assert column(compute("people_in_need", imo), "people_in_need") == {"idp": 7000}
    assert column(compute("referral_funnel", imo)) == {"made": 6, "accepted": 6, "completed": 5}
    caseload = values(compute("caseload_by_risk", imo))
    assert caseload[("high", "gbv")] == 6 and caseload[("medium", "child_protection")] == 2
    assert column(compute("activities_by_type", imo), "people_reached") == {"awareness": 500}
    coverage = {
        row.code: [cell.value for cell in row.cells] for row in compute("coverage", imo).table.all_rows()
    }
    assert coverage["ML05"] == [5000, 500, 10.0]
    assert coverage["ML04"] == [2000, None, None]
    assert coverage["__total__"] == [7000, 500, 7.1]


def test_analysts_see_small_cells_marked_and_others_see_them_hidden(world, imo, reader):
    exact = compute("gbv_types", imo).table.rows[0].cells[0]
    hidden = compute("gbv_types", reader).table.rows[0].cells[0]
    assert (exact.text, exact.value) == ("2*", 2)
    assert (hidden.text, hidden.value) == ("<5", None)
    # The funnel: every stage is shown (no complementary hiding): 5 completed is published as it is, the
    # 6 made and accepted (the same six referrals) read the same figure, within 2 of 6.
    funnel = {row.code: row.cells[0].text for row in compute("referral_funnel", reader).table.rows}
    assert funnel["completed"] == "5" and funnel["made"] == funnel["accepted"]
    assert abs(int(funnel["made"]) - 6) <= 2
    analyst = {row.code: row.cells[0].text.rstrip("†") for row in compute("referral_funnel", imo).table.rows}
    assert analyst == {"made": "6", "accepted": "6", "completed": "5"}


def test_every_filter_applies_to_every_figure_that_has_it(world, imo, segou, alpha, beta):
    assert column(compute("incidents_map", imo, area=segou)) == {"ML0401": 2}
    assert column(compute("displacement_by_status", imo, area=segou), "individuals") == {"idp_returnee": 40}
    assert compute("incidents_map", imo, organisation=beta).table.is_empty
    assert column(compute("activities_by_type", imo, organisation=alpha), "people_reached") == {
        "awareness": 500
    }
    last_year = datetime.date.today().year - 1
    old = {"date_from": datetime.date(last_year, 1, 1), "date_to": datetime.date(last_year, 12, 31)}
    assert compute("incidents_by_month", imo, **old).table.is_empty
    gbv_only = compute("incidents_map", imo, category="gbv")
    assert column(gbv_only) == {"ML05": 2}
    with translation.override("en"):
        unfiltered = compute("gbv_types", imo, category="gbv")
        assert unfiltered.skipped == ["category"]
        assert any("Not filtered by: category" in note for note in unfiltered.notes)
        status = compute("displacement_by_status", imo, population_status="idp")
        assert column(status, "individuals") == {"idp": 1200} and not status.skipped
    # The case load is "now": the period is not applied, and the page says so.
    assert "period" in compute("caseload_by_risk", imo, **old).skipped


def test_gbv_figures_never_go_below_the_protocol_level_for_non_analysts(world, imo, reader, settings):
    settings.SENTINELLE = {**settings.SENTINELLE, "GBV_MIN_ADMIN_LEVEL": 1}
    bandiagara = world["bandiagara"]
    assert DashboardScope.for_user(reader).area_level(gbv=True) == 1
    # In a region, GBV figures break down by region only.
    region_scope = DashboardScope.for_user(reader, area=bandiagara.parent)
    assert region_scope.area_level(gbv=True) == 1
    assert [row.code for row in FIGURES["gbv_map"](region_scope).table.rows] == ["ML05"]
    # A cercle filter is never widened to the region: the GBV figure is refused, with the reason.
    refused = FIGURES["gbv_map"](DashboardScope.for_user(reader, area=bandiagara))
    assert refused.refused and refused.table.is_empty and refused.map is None
    imo_scope = DashboardScope.for_user(imo, area=bandiagara)
    assert imo_scope.area_level(gbv=True) == 3 and not FIGURES["gbv_map"](imo_scope).refused


def test_quick_periods():
    today = datetime.date(2026, 5, 14)
    assert period_dates("last_month", today) == (datetime.date(2026, 4, 1), datetime.date(2026, 4, 30))
    assert period_dates("last_quarter", today) == (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
    assert period_dates("this_year", today) == (datetime.date(2026, 1, 1), today)
    assert period_dates("last_12_months", today) == (datetime.date(2025, 6, 1), today)
    january = datetime.date(2026, 1, 10)
    assert period_dates("last_quarter", january) == (datetime.date(2025, 10, 1), datetime.date(2025, 12, 31))
    assert period_dates("last_month", january) == (datetime.date(2025, 12, 1), datetime.date(2025, 12, 31))


def test_the_form_filters_the_page_and_every_download_link(world, signed_in, imo):
    client = signed_in(imo)
    response = client.get(reverse("reports:dashboard-national"), {"area": "Mopti", "period": "this_year"})
    assert response.status_code == 200
    scope = response.context["scope"]
    assert scope.area.pcode == "ML05" and scope.date_from == datetime.date.today().replace(month=1, day=1)
    figure = response.context["figures"][0]
    assert "area=Mopti" in figure.csv_url and "period=this_year" in figure.csv_url
    bad = client.get(reverse("reports:dashboard-national"), {"area": "Nulle-part"})
    assert bad.status_code == 200 and bad.context["form"].errors


def test_region_page_by_pcode(world, signed_in, reader, segou):
    client = signed_in(reader)
    response = client.get(reverse("reports:dashboard-region", args=["ML04"]))
    assert response.status_code == 200
    assert response.context["scope"].area == segou
    assert client.get(reverse("reports:dashboard-region", args=["ML99"])).status_code == 404
    chooser = client.get(reverse("reports:dashboard-region"))
    assert reverse("reports:dashboard-region", args=["ML05"]) in chooser.content.decode()


@pytest.mark.parametrize("name", list(PAGES))
def test_everyone_with_a_role_reads_the_dashboards_and_nobody_else(
    name, signed_in, client, reader, nobody, mopti
):
    url = reverse(f"reports:dashboard-{name}")
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and reverse("accounts:login") in anonymous["Location"]
    before = AuditEntry.objects.filter(action=AuditAction.DENIED).count()
    assert signed_in(nobody).get(url).status_code == 403
    assert AuditEntry.objects.filter(action=AuditAction.DENIED).count() == before + 1
    assert signed_in(reader).get(url).status_code == 200


def test_a_hidden_cell_is_drawn_the_same_whatever_its_value():
    from sentinelle.core.disclosure import Audience
    from sentinelle.reports.dashboards.tables import cell_bars_of, columns_of, protected_table

    def drawn(count):
        table = protected_table(
            {("a", "x"): count, ("b", "x"): 40, ("a", "y"): 30, ("b", "y"): 50},
            keys={("a", "x"): 5, ("b", "x"): 6, ("a", "y"): 7, ("b", "y"): 8},
            rows=["a", "b"],
            columns=["x", "y"],
            row_label=str,
            column_label=str,
            row_header="",
            row_tag="#meta",
            column_tag=lambda code: "#x",
            audience=Audience.PUBLIC,
            threshold=5,
        )
        # The inner cells (the totals are shown or hidden by disclosure control itself).
        return str(cell_bars_of(table, label="t", threshold=5)) + str(
            columns_of(table, label="t", threshold=5)
        )

    assert drawn(1) == drawn(4)
    assert "&lt;5" in drawn(1) and ">1<" not in drawn(1)


def test_gbv_is_never_shown_below_the_protocol_level_through_the_category(world, imo, reader, settings):
    settings.SENTINELLE = {**settings.SENTINELLE, "GBV_MIN_ADMIN_LEVEL": 1}
    bandiagara = world["bandiagara"]
    # Incidents by category in a cercle: GBV is left out for a reader, not for the IMO.
    reader_month = compute("incidents_by_month", reader, area=bandiagara)
    assert "gbv" not in [c.code for c in reader_month.table.columns]
    assert "gbv" in [c.code for c in compute("incidents_by_month", imo, area=bandiagara).table.columns]
    # Filtered to GBV in a cercle, incidents are not counted at all for a reader (refused, not widened).
    by_area = compute("incidents_map", reader, area=bandiagara, category="gbv")
    assert by_area.refused and by_area.table.is_empty
    # The IMO gets communes (the world's incidents are located at the cercle: no commune).
    exact = compute("incidents_map", imo, area=bandiagara, category="gbv")
    assert [(row.code, row.cells[0].value) for row in exact.table.rows] == [(None, 2)]


def test_children_and_adults_without_finer_age_group_have_their_own_rows(imo, monitor, mopti):
    """Issue 14, point 1: victims given as children or adults only are shown, after the finer groups, and
    counted among the children."""
    cercle = cercle_of(mopti)
    fine = [victim("killed", "f", "6_11", 2), victim("killed", "m", "18_59", 1)]
    coarse = [
        victim("killed", "f", "0_17", 5),
        victim("killed", "m", "0_17", 4),
        victim("injured", "m", "18_plus", 3),
    ]
    make_incident(actor=monitor, area=cercle, status="submitted", victims=fine)
    make_incident(actor=monitor, area=cercle, status="submitted", victims=coarse)

    by_sex_age = compute("victims_by_sex_age", imo)
    children = values(compute("victims_children", imo))

    assert [row.code for row in by_sex_age.table.rows] == ["6_11", "18_59", "0_17", "18_plus"]
    assert values(by_sex_age)[("0_17", "f")] == 5 and values(by_sex_age)[("18_plus", "m")] == 3
    assert children[("killed", "f")] == 2 + 5 and children[("killed", "m")] == 4
    assert children[("__total__", "__total__")] == 11
    # The downloads (CSV, XLSX, HXL) hold the same rows, under their codes.
    _headers, tags, rows = table_lines(by_sex_age)
    assert tags[0] == "#group+age+code" and [row[0] for row in rows][:4] == [
        "6_11",
        "18_59",
        "0_17",
        "18_plus",
    ]
