# ruff: noqa: F811 (the fixtures of reports_world are imported, then used as arguments)
"""The monthly analysis' figures against the hand-counted fixture (tests/conftest.py)."""

import pytest

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
    assert [figure["cell"] for figure in context["figures"]] == [[1, "primary"], [300, ""]]
    assert _table(figures, "displacement_by_area")["grand"] == [300, ""]
    assert _table(figures, "population_by_status")["grand"][0] == 1200
    capacities = _section(figures, "capacities")
    # The validated activity only (the draft report's activity is the partner's working copy).
    assert [figure["cell"][0] for figure in capacities["figures"]] == [0, 0, 1, 32]
    [awareness] = _table(figures, "activities_by_type")["rows"]
    assert awareness["cells"] == [[30, "complementary"], [2, "primary"]] and awareness["total"] == [32, ""]
    assert _table(figures, "coverage_by_area")["grand"] == [32, ""]
    assert "32" in capacities["narrative"] and "300" in context["narrative"]


def test_small_cells_are_suppressed_with_complementary_cells(recorded, month):
    figures = monthly_figures(start=month[0], end=month[1])
    [adults] = _table(figures, "victims_by_age_sex")["rows"]
    women, men = adults["cells"]
    assert women[1] == "primary"
    # The total (12) is shown, so the 9 men would give the 3 women away: hidden too.
    assert men[1] == "complementary" and adults["total"][1] == ""


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
    assert "12" in narrative["effects"]


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
        ("pss", [2, ""]),
        ("legal", [1, ""]),
    ]
    with pytest.raises(KeyError):
        _table(monthly_figures(start=month[0], end=month[1]), "services_by_type")
