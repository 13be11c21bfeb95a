"""Area paths read without a query: the ancestors' paths and the path at a level."""

from sentinelle.geography.paths import ancestor_paths, path_at_level


def test_ancestor_paths_go_from_the_country_to_the_area_itself():
    assert ancestor_paths("ML/ML05/ML0501/ML050101/") == [
        "ML/",
        "ML/ML05/",
        "ML/ML05/ML0501/",
        "ML/ML05/ML0501/ML050101/",
    ]
    assert ancestor_paths("ML/") == ["ML/"]
    assert ancestor_paths("") == []


def test_the_path_at_a_level_is_the_areas_own_at_or_above_it():
    commune = "ML/ML05/ML0501/ML050101/"
    assert path_at_level(commune, 0) == "ML/"
    assert path_at_level(commune, 1) == "ML/ML05/"
    assert path_at_level(commune, 2) == "ML/ML05/ML0501/"
    assert path_at_level("ML/ML05/", 2) == "ML/ML05/"  # a region has no cercle: its own path
    assert path_at_level(commune, 3) == commune
