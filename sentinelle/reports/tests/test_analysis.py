# ruff: noqa: F811 (the fixtures of reports_world are imported, then used as arguments)
"""The monthly analysis' figures against the hand-counted fixture (tests/conftest.py). Each frozen cell
is [exact value, readers' figure]: None for "<5", the count within 2 otherwise; the sources' own
aggregates (displacement) and facilities (services) are published exactly."""

import pytest

from sentinelle.core.tests.gbv_world import gbv_world  # noqa: F401
from sentinelle.monitoring.tests.factories import incident_input, make_incident, victim
from sentinelle.reports.analysis import SECTIONS, monthly_figures, prefilled_narrative
from sentinelle.reports.tests.reports_world import cercle, month, recorded  # noqa: F401

pytestmark = pytest.mark.django_db


def _section(figures, key):
    return next(section for section in figures["sections"] if section["key"] == key)


def _table(figures, key):
    for section in figures["sections"]:
        for table in section["tables"]:
            if table["key"] == key:
                return table
    raise KeyError(key)


def test_the_figures_by_section_are_hand_counted(recorded, month, cercle):
    figures = monthly_figures(start=month[0], end=month[1])
    assert [section["key"] for section in figures["sections"]] == list(SECTIONS)
    threats = _section(figures, "threats")
    # A1, A2 and the consented G1 (the linked duplicate A3 counts once, through A1; G2 is not counted).
    assert threats["figures"][0]["cell"][0] == 3
    assert threats["figures"][1]["cell"][0] == 1  # P1, the month before
    by_category = {row["code"]: row for row in _table(figures, "incidents_by_category")["rows"]}
    assert by_category["life"]["cells"][1][0] == 2 and by_category["life"]["cells"][0][0] == 1
    assert by_category["gbv"]["cells"][1][0] == 1
    victims = _table(figures, "victims_by_age_sex")
    assert victims["grand"][0] == 12  # 8 (A1) + 3 (A2) + 1 (G1)
    [adults] = victims["rows"]
    assert [cell[0] for cell in adults["cells"]] == [3, 9]  # women (2 + G1), men (6 + 3)
    effects = _section(figures, "effects")
    assert effects["figures"][1]["cell"][0] == 1  # GBV: G1 only (G2 without consent)
    assert _table(figures, "gbv_by_type")["grand"][0] == 1


def test_context_and_response_are_hand_counted(recorded, month):
    figures = monthly_figures(start=month[0], end=month[1])
    context = _section(figures, "context")
    # Displacement events are their sources' aggregates: exact, even when small.
    assert [figure["cell"] for figure in context["figures"]] == [[1, 1], [300, 300]]
    assert _table(figures, "displacement_by_area")["grand"] == [300, 300]
    assert _table(figures, "population_by_status")["grand"][0] == 1200
    capacities = _section(figures, "capacities")
    # The validated activity only (the draft report's activity is the partner's working copy).
    assert [figure["cell"][0] for figure in capacities["figures"]] == [0, 0, 1, 32]
    [awareness] = _table(figures, "activities_by_type")["rows"]
    (women, women_public), (men, men_public) = awareness["cells"]
    assert (women, men, men_public) == (30, 2, None) and abs(women_public - 30) <= 2
    total, total_public = awareness["total"]
    assert total == 32 and abs(total_public - 32) <= 2
    # The same people reached: the same exact figure in every table, each published within 2 of it (a total
    # over the sex columns and one over the areas are different cells of the cell key method).
    coverage_exact, coverage_public = _table(figures, "coverage_by_area")["grand"]
    assert coverage_exact == total and abs(coverage_public - total) <= 2
    people_exact, people_public = capacities["figures"][3]["cell"]
    assert people_exact == total and abs(people_public - total) <= 2
    # The narrative says what the figure above it says.
    assert f"{people_public} personnes" in capacities["narrative"] and "300" in context["narrative"]


def test_small_cells_read_small_and_the_others_are_shown_within_two(recorded, month):
    figures = monthly_figures(start=month[0], end=month[1])
    [adults] = _table(figures, "victims_by_age_sex")["rows"]
    women, men = adults["cells"]
    assert women == [3, None]  # "<5"
    # No complementary cell: the 9 men and the total of 12 are shown, each within 2; 12 minus the
    # men's figure gives the women's count plus noise, not the count.
    assert men[0] == 9 and abs(men[1] - 9) <= 2
    assert adults["total"][0] == 12 and abs(adults["total"][1] - 12) <= 2
    assert "_key" not in str(figures)  # keys are never frozen in a version


def test_gbv_is_never_broken_down_below_the_protocol_level(recorded, month, mopti, settings):
    settings.SENTINELLE = {**settings.SENTINELLE, "GBV_MIN_ADMIN_LEVEL": 1}
    figures = monthly_figures(start=month[0], end=month[1], area=mopti)
    gbv = _table(figures, "gbv_by_area")
    assert [row["code"] for row in gbv["rows"]] == ["ML05"]  # the region, not the cercle
    assert _section(figures, "effects")["gbv_level"] == 1
    assert [row["code"] for row in _table(figures, "incidents_by_area")["rows"]] == ["ML0501"]


def test_the_prefilled_narrative_uses_the_published_figures(recorded, month):
    narrative = prefilled_narrative(monthly_figures(start=month[0], end=month[1]))
    assert set(narrative) == set(SECTIONS)
    assert "<5" in narrative["threats"]  # 3 incidents: never the exact small count
    assert " 3 " not in narrative["threats"]
    effects = _section(monthly_figures(start=month[0], end=month[1]), "effects")
    assert str(effects["figures"][0]["cell"][1]) in narrative["effects"]  # the readers' figure of 12


def test_a_region_filter_leaves_other_regions_out(recorded, month, segou):
    figures = monthly_figures(start=month[0], end=month[1], area=segou)
    assert _section(figures, "threats")["figures"][0]["cell"][0] == 0
    assert _table(figures, "victims_by_age_sex")["rows"] == []


def test_services_available_come_from_the_directory(recorded, month, cercle, imo):
    from sentinelle.directory.tests.factories import ServiceFactory
    from sentinelle.monitoring.tests.factories import commune_of

    commune = commune_of(cercle)
    ServiceFactory(area=commune, service_type="pss")
    ServiceFactory(area=commune, service_type="pss")
    ServiceFactory(area=commune, service_type="legal")
    figures = monthly_figures(start=month[0], end=month[1], user=imo)
    services = _table(figures, "services_by_type")
    # Facilities, not people: shown as they are.
    assert [(row["code"], row["cells"][0]) for row in services["rows"]] == [
        ("pss", [2, 2]),
        ("legal", [1, 1]),
    ]
    with pytest.raises(KeyError):
        _table(monthly_figures(start=month[0], end=month[1]), "services_by_type")


# --- The GBV floor: the analysis is published (core/tests/gbv_world.py) --------------------------------


def _gbv_month():
    from sentinelle.monitoring.tests.factories import days_ago, today

    return days_ago(40), today()


def test_a_regional_analysis_leaves_gbv_out_of_its_cercle_breakdown(gbv_world):
    from django.utils import translation

    from sentinelle.core.datasets import gbv_withheld_note

    start, end = _gbv_month()
    figures = monthly_figures(start=start, end=end, area=gbv_world["mopti"])
    by_area = _table(figures, "incidents_by_area")
    # Bandiagara: 17 incidents in Dourou and 5 in Sangha; not the 7 GBV ones (6 + sexual violence).
    assert [(row["code"], row["cells"][0][0]) for row in by_area["rows"]] == [("ML0501", 22)]
    with translation.override("fr"):
        assert by_area["note"] == gbv_withheld_note()
    # The region's own figures are at the protocol's level: GBV counted, no note.
    assert _section(figures, "effects")["figures"][1]["cell"][0] == 6
    gbv_by_area = _table(figures, "gbv_by_area")
    assert [row["code"] for row in gbv_by_area["rows"]] == ["ML05"] and gbv_by_area["note"] == ""
    assert _table(figures, "incidents_by_category")["note"] == ""


def test_an_analysis_below_the_region_refuses_its_gbv_figures(gbv_world):
    from sentinelle.core.disclosure import Audience
    from sentinelle.reports.report_tables import figure_text

    start, end = _gbv_month()
    figures = monthly_figures(start=start, end=end, area=gbv_world["bandiagara"])
    effects = _section(figures, "effects")
    gbv_figure = effects["figures"][1]
    assert gbv_figure["cell"] is None  # never a silent 0
    assert figure_text(gbv_figure, audience=Audience.PUBLIC, threshold=5) == "—"
    for key in ("gbv_by_type", "gbv_by_area"):
        table = _table(figures, key)
        assert table["rows"] == [] and "VBG" in table["note"], key
    assert "VBG" in effects["narrative"] and " 6 " not in effects["narrative"]
    by_category = _table(figures, "incidents_by_category")
    assert "gbv" not in [row["code"] for row in by_category["rows"]] and by_category["note"]
    # Victims in the cercle: 32 (Dourou) + 7 (the killing) + 10 (Sangha); no survivor of GBV.
    assert _table(figures, "victims_by_age_sex")["grand"][0] == 49


def test_victims_without_finer_age_group_have_their_own_row(recorded, month, cercle, monitor):
    """Issue 14, point 1: children and adults given without finer age group are rows of the table."""
    data = incident_input(
        cercle, victims=[victim("killed", "f", "0_17", 4), victim("killed", "m", "18_plus", 7)]
    )
    data.date_start = month[0]
    data.date_reported = month[0]
    make_incident(actor=monitor, area=cercle, status="submitted", data=data)

    victims = _table(monthly_figures(start=month[0], end=month[1]), "victims_by_age_sex")

    rows = {row["code"]: [cell[0] for cell in row["cells"]] for row in victims["rows"]}
    assert rows == {"18_59": [3, 9], "0_17": [4, 0], "18_plus": [0, 7]}
    assert victims["grand"][0] == 12 + 4 + 7
