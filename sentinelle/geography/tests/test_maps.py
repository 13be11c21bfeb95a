"""Shared SVG maps: counts rolled up by level, circles sized by count, choropleth shades and legend."""

import pytest

from sentinelle.geography.maps import CHOROPLETH_SHADES, choropleth_map, circles_map, counts_by_level
from sentinelle.geography.tests.factories import AdminAreaFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def areas(mopti, segou):
    mopti.geometry = {"type": "Polygon", "coordinates": [[[-4, 14], [-3, 14], [-3, 15], [-4, 15], [-4, 14]]]}
    mopti.save()
    segou.geometry = {"type": "Polygon", "coordinates": [[[-6, 13], [-5, 13], [-5, 14], [-6, 14], [-6, 13]]]}
    segou.save()
    bandiagara = AdminAreaFactory(parent=mopti, pcode="ML0503", name_fr="Bandiagara", lon=-3.5, lat=14.5)
    djenne = AdminAreaFactory(parent=mopti, pcode="ML0502", name_fr="Djenné", lon=-3.8, lat=14.2)
    return {"bandiagara": bandiagara, "djenne": djenne}


def test_counts_roll_up_to_the_level_and_skip_records_above_it():
    rows = [("ML/ML05/ML0503/ML050301/", 2), ("ML/ML05/ML0503/", 3), ("ML/ML05/", 7), ("ML/ML04/ML0405/", 1)]
    assert counts_by_level(rows, 2) == {"ML0503": 5, "ML0405": 1}
    assert counts_by_level(rows, 1) == {"ML05": 12, "ML04": 1}


def test_circles_are_sized_by_count_biggest_first(areas, cod_version):
    drawn = circles_map({"ML0503": 9, "ML0502": 1, "": 4}, cod_version, level=2)
    assert [point["name"] for point in drawn["points"]] == ["Bandiagara", "Djenné"]
    assert float(drawn["points"][0]["r"]) > float(drawn["points"][1]["r"])
    assert drawn["total"] == 10
    assert drawn["regions"]  # the region outlines are drawn


def test_no_version_no_map():
    assert circles_map({"ML0503": 1}, None) is None
    assert choropleth_map({"ML05": 1}, None) is None


def test_choropleth_shades_by_value_and_leaves_missing_areas_unshaded(areas, cod_version):
    drawn = choropleth_map({"ML05": 100}, cod_version, level=1)
    shades = {shape["pcode"]: shape["shade"] for shape in drawn["shapes"]}
    assert shades == {"ML05": CHOROPLETH_SHADES[-1], "ML04": ""}
    assert [step["from"] for step in drawn["legend"]] == [0, 20, 40, 60, 80]


def test_choropleth_within_an_area_draws_its_subtree_only(areas, cod_version, mopti):
    areas["bandiagara"].geometry = mopti.geometry
    areas["bandiagara"].save()
    drawn = choropleth_map({"ML0503": 4}, cod_version, level=2, within=mopti)
    assert {shape["pcode"] for shape in drawn["shapes"]} <= {"ML0503", "ML0502"}
