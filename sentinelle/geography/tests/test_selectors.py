import pytest

from sentinelle.geography.models import AdminArea, AdminLevel
from sentinelle.geography.selectors import (
    AreaLookupError,
    AreaResolver,
    area_ancestors,
    area_find_by_name,
    area_get_by_pcode,
    area_list,
    area_resolve,
    areas_by_pcode,
    areas_within,
    settlement_find_by_name,
    settlement_get_by_pcode,
    version_list,
)
from sentinelle.geography.tests.factories import AdminAreaFactory, CodVersionFactory

pytestmark = pytest.mark.django_db


# --- By P-code ---------------------------------------------------------------------------------


def test_area_get_by_pcode_normalises_the_code(shipped_geography):
    assert area_get_by_pcode("ml0505 ", version=shipped_geography).name_fr == "Djenné"
    assert area_get_by_pcode("ML9999", version=shipped_geography) is None
    assert area_get_by_pcode("Djenné", version=shipped_geography) is None


def test_area_get_by_pcode_uses_the_default_version(mopti):
    assert area_get_by_pcode("ML05") == mopti
    assert area_get_by_pcode("ML05", version="no-such-version") is None


def test_areas_by_pcode_prefer_the_default_version_and_fall_back_to_older_ones(mopti):
    older = CodVersionFactory(code="older-cod", is_default=False)
    old_mopti = AdminAreaFactory(version=older, level=1, pcode="ML05", parent=None, name_fr="Mopti")
    retired = AdminAreaFactory(version=older, level=1, pcode="ML99", parent=None, name_fr="Ancienne")
    assert areas_by_pcode(" ml05 ") == [mopti]  # not the older version's Mopti
    assert old_mopti not in areas_by_pcode("ML05")
    assert areas_by_pcode("ML99") == [retired]  # a P-code retired since: the older version still answers
    assert areas_by_pcode("ML77") == []
    assert areas_by_pcode("") == []


# --- By name -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "level", "pcode"),
    [
        ("Ségou", AdminLevel.REGION, "ML04"),
        ("segou", AdminLevel.REGION, "ML04"),
        ("SEGOU", AdminLevel.REGION, "ML04"),
        ("Koulikouro", AdminLevel.REGION, "ML02"),
        ("koulikoro", AdminLevel.REGION, "ML02"),
        ("Timbuktu", AdminLevel.REGION, "ML06"),
        ("Djenne", AdminLevel.CERCLE, "ML0505"),
        ("  Kéniéba ", AdminLevel.CERCLE, "ML0104"),
        ("gourma rharous", AdminLevel.CERCLE, "ML0604"),
        ("Ti-n-Essako", AdminLevel.CERCLE, "ML0802"),
        ("Djenne Commune", AdminLevel.COMMUNE, "ML050503"),
        ("Commune 4", AdminLevel.COMMUNE, "ML090104"),
        ("Medina Coura", AdminLevel.QUARTIER, "ML090102451"),
    ],
)
def test_area_find_by_name_ignores_case_accents_and_knows_aliases(shipped_geography, name, level, pcode):
    areas = area_find_by_name(name, level=level, version=shipped_geography)

    assert [area.pcode for area in areas] == [pcode]


def test_area_find_by_name_across_levels(shipped_geography):
    areas = area_find_by_name("Segou", version=shipped_geography)

    assert [(area.level, area.pcode) for area in areas] == [(1, "ML04"), (2, "ML0402"), (3, "ML040224")]


def test_area_find_by_name_within_a_parent(shipped_geography):
    mopti = area_get_by_pcode("ML05", version=shipped_geography)

    assert [area.pcode for area in area_find_by_name("Djenne", parent=mopti)] == ["ML0505", "ML050503"]
    assert list(area_find_by_name("Segou", parent=mopti)) == []


def test_area_resolve_by_pcode_or_name(shipped_geography):
    assert area_resolve("ML0602", version=shipped_geography).name_fr == "Diré"
    assert area_resolve("Niafunke", level=AdminLevel.CERCLE, version=shipped_geography).pcode == "ML0605"
    assert area_resolve("Tenenkou", level=2, version=shipped_geography).name_fr == "Ténenkou"
    # Shaped like a P-code (two letters), but a commune of San cercle.
    assert area_resolve("Sy", version=shipped_geography).pcode == "ML040421"
    assert AreaResolver(shipped_geography).resolve("sy").pcode == "ML040421"


def test_area_resolve_ambiguous_name_lists_candidates_and_parent_disambiguates(shipped_geography):
    # Four communes are called Diédougou (Dioïla, Kati, Koutiala and Ségou cercles).
    with pytest.raises(AreaLookupError) as caught:
        area_resolve("Diedougou", level=AdminLevel.COMMUNE, version=shipped_geography)

    assert sorted(area.pcode for area in caught.value.candidates) == [
        "ML020306",
        "ML020509",
        "ML030501",
        "ML040205",
    ]
    assert "ML040205" in str(caught.value)
    segou_cercle = area_resolve("Ségou", level=AdminLevel.CERCLE, version=shipped_geography)
    assert area_resolve("Diedougou", level=AdminLevel.COMMUNE, parent=segou_cercle).pcode == "ML040205"


@pytest.mark.parametrize(
    ("value", "level"),
    [("Atlantis", None), ("ML9999", None), ("ML0505", AdminLevel.COMMUNE), ("", None)],
)
def test_area_resolve_not_found(shipped_geography, value, level):
    with pytest.raises(AreaLookupError) as caught:
        area_resolve(value, level=level, version=shipped_geography)

    assert caught.value.candidates == []
    assert value in str(caught.value)


def test_area_resolve_pcode_outside_the_parent_is_not_found(shipped_geography):
    kayes = area_get_by_pcode("ML01", version=shipped_geography)

    with pytest.raises(AreaLookupError):
        area_resolve("ML0505", parent=kayes)


def test_area_resolve_without_any_version(db):
    with pytest.raises(AreaLookupError, match="load_geography"):
        area_resolve("Mopti")


def test_area_resolver_matches_area_resolve_from_memory(shipped_geography, django_assert_num_queries):
    with django_assert_num_queries(2):
        resolver = AreaResolver(shipped_geography)

    with django_assert_num_queries(0):
        assert resolver.resolve("koulikouro", level=1).pcode == "ML02"
        assert resolver.resolve("ml0505").name_fr == "Djenné"
        assert resolver.get("ML0104").name_fr == "Kéniéba"
        segou_cercle = resolver.resolve("Segou", level=2)
        assert resolver.resolve("Diedougou", level=3, parent=segou_cercle).pcode == "ML040205"
        with pytest.raises(AreaLookupError) as caught:
            resolver.resolve("Diedougou", level=3)
    assert len(caught.value.candidates) == 4


# --- Settlements -------------------------------------------------------------------------------


def test_settlement_find_by_name(shipped_geography):
    djenne_commune = area_get_by_pcode("ML050503", version=shipped_geography)

    everywhere = settlement_find_by_name("Djenné", version=shipped_geography)
    in_commune = settlement_find_by_name("djenne", parent=djenne_commune)

    assert [s.pcode for s in everywhere] == ["ML010609025", "ML050500000", "ML050503004"]
    assert [s.pcode for s in in_commune] == ["ML050500000", "ML050503004"]
    assert settlement_get_by_pcode("ML010101001", version=shipped_geography).name == "Bambela"


# --- Tree --------------------------------------------------------------------------------------


def test_area_ancestors_from_the_top(shipped_geography):
    djenne = area_get_by_pcode("ML050503", version=shipped_geography)

    assert [area.pcode for area in area_ancestors(djenne)] == ["ML", "ML05", "ML0505"]


def test_path_prefix_never_matches_a_longer_code(db):
    version = CodVersionFactory()
    short = AdminAreaFactory(version=version, pcode="ZZ1")
    AdminAreaFactory(version=version, pcode="ZZ10")
    child = AdminAreaFactory(parent=short, pcode="ZZ101")

    within = areas_within(AdminArea.objects.filter(version=version), [short])

    assert set(within) == {short, child}


# --- Page selectors ----------------------------------------------------------------------------


def test_area_list_regions_by_default_with_child_counts(reader, mopti, segou):
    AdminAreaFactory(parent=mopti, pcode="ML0501", name_fr="Mopti")
    AdminAreaFactory(parent=mopti, pcode="ML0505", name_fr="Djenné")

    areas = area_list(user=reader)

    assert [(area.pcode, area.children_count) for area in areas] == [("ML04", 0), ("ML05", 2)]


def test_area_list_search_by_name_and_pcode(reader, shipped_geography):
    by_name = area_list(user=reader, query="segou", version=shipped_geography)
    by_pcode = area_list(user=reader, query="ml0505", version=shipped_geography)

    assert [area.pcode for area in by_name] == ["ML04", "ML0402", "ML040224"]
    assert [area.pcode for area in by_pcode][:2] == ["ML0505", "ML050501"]
    assert by_pcode.count() == 13


def test_area_list_is_empty_without_permission(nobody, mopti):
    assert list(area_list(user=nobody)) == []


def test_version_list_counts(reader, shipped_geography, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        versions = {version.code: version for version in version_list(user=reader)}

    shipped = versions[shipped_geography.code]
    assert {level.value: count for level, count in shipped.level_counts} == {
        0: 1,
        1: 9,
        2: 50,
        3: 701,
        4: 71,
    }
    assert shipped.settlement_count == 18769
