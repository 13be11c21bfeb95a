import io
import json
import zipfile

import pytest
import shapefile
from django.core.exceptions import ValidationError
from django.utils import translation

from sentinelle.core.models import AuditAction, AuditEntry
from sentinelle.geography.models import (
    AdminArea,
    AdminLevel,
    AreaName,
    CodVersion,
    Crosswalk,
    CrosswalkRelation,
    NameKind,
    Settlement,
)
from sentinelle.geography.services import (
    cod_version_load,
    cod_version_load_shipped,
    crosswalk_build_by_pcode,
    crosswalk_load,
    version_counts,
)
from sentinelle.geography.tests.factories import AdminAreaFactory, CodVersionFactory

pytestmark = pytest.mark.django_db

# --- The shipped COD-AB 2015 -------------------------------------------------------------------


def test_shipped_version_has_the_cod_counts(shipped_geography):
    assert version_counts(shipped_geography) == {
        "country": 1,
        "region": 9,
        "cercle": 50,
        "commune": 701,
        "quartier": 71,
        "settlements": 18769,
    }


@pytest.mark.parametrize(
    ("pcode", "name_fr", "name_ascii"),
    [
        ("ML02", "Koulikoro", "Koulikouro"),
        ("ML04", "Ségou", "Segou"),
        ("ML0505", "Djenné", "Djenne"),
        ("ML0104", "Kéniéba", "Kenieba"),
        ("ML0103", "Diéma", "Diema"),
        ("ML0602", "Diré", "Dire"),
        ("ML0605", "Niafunké", "Niafunke"),
        ("ML0508", "Ténenkou", "Tenenkou"),
        ("ML0203", "Dioïla", "Dioila"),
        ("ML0803", "Abeïbara", "Abeibara"),
        ("ML050503", "Djenné", "Djenne Commune"),
        ("ML060505", "Léré", "Lere"),
        ("ML090104223", "Hamdallaye", "Hamdallaye"),
    ],
)
def test_shipped_areas_have_french_names_and_keep_the_cod_name(shipped_geography, pcode, name_fr, name_ascii):
    area = AdminArea.objects.get(version=shipped_geography, pcode=pcode)

    assert area.name_fr == name_fr
    assert area.name_ascii == name_ascii
    assert str(area) == name_fr
    assert set(area.names.values_list("name", flat=True)) >= {name_fr, name_ascii}


def test_shipped_misspelt_region_is_an_ascii_look_up_name(shipped_geography):
    name = AreaName.objects.get(area__version=shipped_geography, area__pcode="ML02", name="Koulikouro")

    assert (name.kind, name.key) == (NameKind.ASCII, "koulikouro")


def test_shipped_hierarchy_is_consistent(shipped_geography):
    areas = {area.pk: area for area in AdminArea.objects.filter(version=shipped_geography)}
    for area in areas.values():
        parent = areas.get(area.parent_id)
        assert area.path.endswith("/")
        if area.level == AdminLevel.COUNTRY:
            assert (parent, area.path) == (None, "ML/")
            continue
        assert parent.level == area.level - 1
        assert area.pcode.startswith(parent.pcode)
        assert area.path == f"{parent.path}{area.pcode}/"
    quartier_parents = {
        areas[a.parent_id].pcode[:6] for a in areas.values() if a.level == AdminLevel.QUARTIER
    }
    assert quartier_parents == {"ML0901"}
    assert (
        not Settlement.objects.filter(version=shipped_geography)
        .exclude(admin3__level=AdminLevel.COMMUNE)
        .exists()
    )


def test_shipped_geometry_is_simplified_and_inside_mali(shipped_geography):
    sizes = dict.fromkeys(AdminLevel, 0)
    for level, geometry, bbox, lon, lat in AdminArea.objects.filter(version=shipped_geography).values_list(
        "level", "geometry", "bbox", "lon", "lat"
    ):
        assert geometry["type"] in {"Polygon", "MultiPolygon"}
        assert -12.3 <= bbox[0] <= bbox[2] <= 4.3
        assert 10.1 <= bbox[1] <= bbox[3] <= 25.0
        assert bbox[0] <= lon <= bbox[2]
        assert bbox[1] <= lat <= bbox[3]
        sizes[level] += len(json.dumps(geometry, separators=(",", ":")))
    # The whole cercle layer must stay light enough for a web page (design §8).
    assert sizes[AdminLevel.CERCLE] < 100_000
    assert sizes[AdminLevel.COMMUNE] < 400_000


def test_shipped_load_twice_changes_nothing(shipped_geography):
    audit_before = AuditEntry.objects.count()

    result = cod_version_load_shipped()

    assert result.created is False
    assert result.version == shipped_geography
    assert result.counts["commune"] == 701
    assert CodVersion.objects.filter(code=shipped_geography.code).count() == 1
    assert AuditEntry.objects.count() == audit_before


# --- Loading a new version ---------------------------------------------------------------------


def square(x, y, size=1.0):
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def write_geojson(path, features):
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "properties": p, "geometry": g} for p, g in features],
            }
        ),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def hdx_files(tmp_path):
    """A tiny 2021-style release: 2 regions (HDX field names, accents), 3 cercles."""
    adm1 = write_geojson(
        tmp_path / "adm1.geojson",
        [
            (
                {"ADM1_FR": "Ségou", "ADM1_PCODE": "ML04", "ADM1_REF": "Segou", "ADM0_PCODE": "ML"},
                square(-6, 13, 2),
            ),
            (
                {"ADM1_FR": "Ménaka", "ADM1_PCODE": "ML10", "ADM1_REF": "Menaka", "ADM0_PCODE": "ML"},
                square(2, 15, 2),
            ),
        ],
    )
    adm2 = write_geojson(
        tmp_path / "adm2.geojson",
        [
            ({"ADM2_FR": "Barouéli", "ADM2_PCODE": "ML0401", "ADM1_PCODE": "ML04"}, square(-6, 13)),
            ({"ADM2_FR": "Ségou", "ADM2_PCODE": "ML0405", "ADM1_PCODE": "ML04"}, square(-5, 13)),
            ({"ADM2_FR": "Ménaka", "ADM2_PCODE": "ML1001", "ADM1_PCODE": "ML10"}, square(2, 15)),
        ],
    )
    return {1: adm1, 2: adm2}


def test_load_geojson_version(hdx_files):
    result = cod_version_load(
        code="cod-ab-mli-2021",
        title="COD-AB Mali 2021",
        valid_on="2021-12-20",
        files_by_level=hdx_files,
        source="HDX cod-ab-mli",
    )

    version = result.version
    assert result.created is True
    assert result.counts == {
        "country": 0,
        "region": 2,
        "cercle": 3,
        "commune": 0,
        "quartier": 0,
        "settlements": 0,
    }
    assert version.is_default is False
    segou_cercle = AdminArea.objects.get(version=version, pcode="ML0405")
    assert (segou_cercle.name_fr, segou_cercle.name_ascii) == ("Ségou", "Segou")
    assert segou_cercle.parent.pcode == "ML04"
    assert segou_cercle.path == "ML04/ML0405/"
    assert segou_cercle.geometry["type"] == "Polygon"
    assert (segou_cercle.lon, segou_cercle.lat) == (-4.5, 13.5)
    assert segou_cercle.bbox == [-5.0, 13.0, -4.0, 14.0]
    assert set(
        AreaName.objects.filter(area__pcode="ML10", area__version=version).values_list("name", "kind")
    ) == {
        ("Ménaka", NameKind.OFFICIAL),
        ("Menaka", NameKind.ASCII),
    }
    entry = AuditEntry.objects.get(action=AuditAction.IMPORT, object_id=str(version.public_id))
    assert entry.detail["counts"]["cercle"] == 3


def test_load_as_default_replaces_the_default(hdx_files):
    old = CodVersionFactory(is_default=True)

    result = cod_version_load(
        code="new", title="New", valid_on="2021-12-20", files_by_level=hdx_files, source="", make_default=True
    )

    old.refresh_from_db()
    assert (old.is_default, result.version.is_default) == (False, True)


def zipped_shapefile(path, fields, records):
    """Write a polygon shapefile with pyshp into a zip archive, the way HDX distributes them."""
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    with shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON) as writer:
        for name in fields:
            writer.field(name, "C", size=50)
        for values, geometry in records:
            writer.poly(geometry["coordinates"])
            writer.record(*values)
    with zipfile.ZipFile(path, "w") as archive:
        for suffix, buffer in (("shp", shp), ("shx", shx), ("dbf", dbf)):
            archive.writestr(f"layer/mli_adm.{suffix}", buffer.getvalue())
        archive.writestr("layer/mli_adm.cpg", "UTF-8")
    return path


def test_load_zipped_shapefile_version_with_2015_field_names(tmp_path):
    adm1 = zipped_shapefile(
        tmp_path / "adm1.zip",
        ["admin1Name", "admin1Pcod", "admin1AltN"],
        [(("Tombouctou", "ML06", "Timbuktu"), square(-4, 16, 3))],
    )
    adm2 = zipped_shapefile(
        tmp_path / "adm2.zip",
        ["admin2Name", "admin2Pcod", "admin1Pcod"],
        [(("Dire", "ML0602", "ML06"), square(-4, 16)), (("Niafunke", "ML0605", "ML06"), square(-3, 16))],
    )

    result = cod_version_load(
        code="shp-test",
        title="Shapefile",
        valid_on="2015-04-08",
        files_by_level={1: adm1, 2: adm2},
        source="",
    )

    areas = AdminArea.objects.filter(version=result.version)
    assert sorted(areas.values_list("pcode", "parent__pcode")) == [
        ("ML06", None),
        ("ML0602", "ML06"),
        ("ML0605", "ML06"),
    ]
    assert (
        AreaName.objects.get(area__pcode="ML06", area__version=result.version, kind=NameKind.ALIAS).key
        == "timbuktu"
    )
    assert areas.get(pcode="ML0602").geometry["type"] == "Polygon"


def test_load_version_with_settlements(tmp_path):
    adm1 = write_geojson(
        tmp_path / "a1.geojson", [({"ADM1_FR": "Mopti", "ADM1_PCODE": "ML05"}, square(-4, 14))]
    )
    adm2 = write_geojson(
        tmp_path / "a2.geojson",
        [({"ADM2_FR": "Djenné", "ADM2_PCODE": "ML0505", "ADM1_PCODE": "ML05"}, square(-4, 14))],
    )
    adm3 = write_geojson(
        tmp_path / "a3.geojson",
        [({"ADM3_FR": "Djenné", "ADM3_PCODE": "ML050503", "ADM2_PCODE": "ML0505"}, square(-4, 14))],
    )
    places = tmp_path / "places.csv"
    places.write_text("pcode,name,ADM3_PCODE,longitude,latitude\nML050503001,Djenné,ML050503,-4.55,13.9\n")

    result = cod_version_load(
        code="with-places",
        title="t",
        valid_on="2021-12-20",
        files_by_level={1: adm1, 2: adm2, 3: adm3},
        settlements_file=places,
        source="",
    )

    settlement = Settlement.objects.get(version=result.version)
    assert (settlement.name, settlement.key, settlement.admin3.pcode) == ("Djenné", "djenne", "ML050503")
    assert (settlement.lon, settlement.lat) == (-4.55, 13.9)


def _refused_inputs(tmp_path):
    good1 = write_geojson(
        tmp_path / "r1.geojson", [({"ADM1_FR": "Gao", "ADM1_PCODE": "ML07"}, square(0, 16))]
    )
    return {
        "missing_file": ({1: tmp_path / "absent.geojson"}, "absent.geojson"),
        "unknown_fields": (
            {1: write_geojson(tmp_path / "bad.geojson", [({"NOM": "Gao", "CODE": "ML07"}, square(0, 16))])},
            "ADM1_PCODE",
        ),
        "missing_parent": (
            {
                1: good1,
                2: write_geojson(
                    tmp_path / "r2.geojson",
                    [({"ADM2_FR": "Ansongo", "ADM2_PCODE": "ML0702", "ADM1_PCODE": "ML08"}, None)],
                ),
            },
            "ML08",
        ),
        "duplicate_pcode": (
            {
                1: write_geojson(
                    tmp_path / "dup.geojson",
                    [
                        ({"ADM1_FR": "Gao", "ADM1_PCODE": "ML07"}, None),
                        ({"ADM1_FR": "Kidal", "ADM1_PCODE": "ML07"}, None),
                    ],
                )
            },
            "ML07",
        ),
        "level_without_parent_file": ({2: good1}, "level 1"),
        "unsupported_type": ({1: tmp_path / "r1.kml"}, "r1.kml"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing_file",
        "unknown_fields",
        "missing_parent",
        "duplicate_pcode",
        "level_without_parent_file",
        "unsupported_type",
    ],
)
def test_refused_input_writes_nothing(tmp_path, case):
    (tmp_path / "r1.kml").write_text("<kml/>")
    files, expected_in_message = _refused_inputs(tmp_path)[case]
    audit_before = AuditEntry.objects.count()

    with translation.override("en"), pytest.raises(ValidationError) as caught:
        cod_version_load(
            code="refused", title="Refused", valid_on="2021-12-20", files_by_level=files, source=""
        )

    assert expected_in_message in " ".join(caught.value.messages)
    assert not CodVersion.objects.filter(code="refused").exists()
    assert AdminArea.objects.filter(version__code="refused").count() == 0
    assert AuditEntry.objects.count() == audit_before


def test_every_problem_of_a_load_is_refused_at_once(tmp_path):
    duplicate = write_geojson(
        tmp_path / "dup.geojson",
        [
            ({"ADM1_FR": "Gao", "ADM1_PCODE": "ML07"}, None),
            ({"ADM1_FR": "Kidal", "ADM1_PCODE": "ML07"}, None),
        ],
    )
    versions_before = CodVersion.objects.count()

    with translation.override("en"), pytest.raises(ValidationError) as caught:
        cod_version_load(
            code="Bad Code", title=" ", valid_on="soon", files_by_level={1: duplicate}, source=""
        )

    fields = caught.value.message_dict
    assert {"code", "title", "valid_on", "__all__"} <= set(fields)
    assert "ML07" in " ".join(fields["__all__"])
    assert CodVersion.objects.count() == versions_before


def test_existing_code_is_refused(hdx_files):
    CodVersionFactory(code="taken")

    with pytest.raises(ValidationError, match="taken"):
        cod_version_load(code="taken", title="t", valid_on="2021-12-20", files_by_level=hdx_files, source="")

    assert AdminArea.objects.filter(version__code="taken").count() == 0


# --- Crosswalks --------------------------------------------------------------------------------


@pytest.fixture
def two_versions(db):
    old = CodVersionFactory(code="old")
    new = CodVersionFactory(code="new")
    for version in (old, new):
        region = AdminAreaFactory(version=version, level=1, pcode="ML02", name_fr="Koulikoro")
        AdminAreaFactory(parent=region, pcode="ML0205", name_fr="Kati")
    # Same P-code, another area: numbering changed between versions.
    AdminAreaFactory(version=old, level=1, pcode="ML07", name_fr="Gao")
    AdminAreaFactory(version=new, level=1, pcode="ML07", name_fr="Ménaka")
    return old, new


def test_crosswalk_load_creates_then_changes_nothing(two_versions):
    old, new = two_versions
    rows = [
        {"from_pcode": "ML0205", "to_pcode": "ML0205", "relation": "split", "share": "0,8"},
        {"from_pcode": "ML0205", "to_pcode": "ML02", "relation": "split", "share": "0.2"},
    ]

    first = crosswalk_load(from_version="old", to_version=new, rows=rows)
    second = crosswalk_load(from_version=old, to_version=new, rows=rows)

    assert first == {"created": 2, "updated": 0, "unchanged": 0}
    assert second == {"created": 0, "updated": 0, "unchanged": 2}
    links = Crosswalk.objects.filter(from_area__version=old).order_by("-share")
    assert [(link.to_area.pcode, link.relation, link.share) for link in links] == [
        ("ML0205", "split", 0.8),
        ("ML02", "split", 0.2),
    ]
    assert (
        AuditEntry.objects.filter(action=AuditAction.IMPORT, object_type="geography.crosswalk").count() == 2
    )


def test_crosswalk_load_updates_a_changed_share(two_versions):
    old, new = two_versions
    crosswalk_load(
        from_version=old,
        to_version=new,
        rows=[{"from_pcode": "ML0205", "to_pcode": "ML0205", "relation": "split", "share": "0.7"}],
    )

    counts = crosswalk_load(
        from_version=old,
        to_version=new,
        rows=[{"from_pcode": "ML0205", "to_pcode": "ML0205", "relation": "split", "share": "0.75"}],
    )

    assert counts == {"created": 0, "updated": 1, "unchanged": 0}
    assert Crosswalk.objects.get().share == 0.75


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"from_pcode": "ML9999", "to_pcode": "ML02", "relation": "same"}, "ML9999"),
        ({"from_pcode": "ML02", "to_pcode": "ML02", "relation": "swapped"}, "swapped"),
        ({"from_pcode": "ML02", "to_pcode": "ML02", "relation": "split", "share": "1.5"}, "1.5"),
    ],
)
def test_crosswalk_bad_rows_write_nothing(two_versions, row, message):
    old, new = two_versions
    good = {"from_pcode": "ML0205", "to_pcode": "ML0205", "relation": "same"}

    with pytest.raises(ValidationError) as caught:
        crosswalk_load(from_version=old, to_version=new, rows=[good, row])

    assert message in " ".join(caught.value.messages)
    assert Crosswalk.objects.count() == 0


def test_crosswalk_refuses_one_version_to_itself(two_versions):
    old, _new = two_versions

    with pytest.raises(ValidationError):
        crosswalk_load(from_version=old, to_version=old, rows=[{"from_pcode": "ML02", "to_pcode": "ML02"}])


def test_crosswalk_build_by_pcode_links_same_code_and_name_only(two_versions):
    old, new = two_versions

    proposals = crosswalk_build_by_pcode(from_version=old, to_version=new)

    assert [(p["from_pcode"], p["relation"]) for p in proposals] == [("ML02", "same"), ("ML0205", "same")]
    assert set(Crosswalk.objects.values_list("from_area__pcode", "to_area__version__code", "relation")) == {
        ("ML02", "new", CrosswalkRelation.SAME),
        ("ML0205", "new", CrosswalkRelation.SAME),
    }
    # Areas already linked are left alone: a second build proposes nothing.
    assert crosswalk_build_by_pcode(from_version=old, to_version=new) == []


def test_crosswalk_build_keeps_an_administrators_split(two_versions):
    old, new = two_versions
    crosswalk_load(
        from_version=old,
        to_version=new,
        rows=[{"from_pcode": "ML0205", "to_pcode": "ML02", "relation": "merged"}],
    )

    proposals = crosswalk_build_by_pcode(from_version=old, to_version=new, commit=False)

    assert [p["from_pcode"] for p in proposals] == ["ML02"]
    assert Crosswalk.objects.count() == 1


def test_refusal_is_explained_in_french(tmp_path):
    duplicate = write_geojson(
        tmp_path / "dup.geojson",
        [
            ({"ADM1_FR": "Gao", "ADM1_PCODE": "ML07"}, None),
            ({"ADM1_FR": "Kidal", "ADM1_PCODE": "ML07"}, None),
        ],
    )

    with translation.override("fr"), pytest.raises(ValidationError) as caught:
        cod_version_load(
            code="fr", title="fr", valid_on="2021-12-20", files_by_level={1: duplicate}, source=""
        )

    assert caught.value.messages == ["P-code en double : ML07 (niveaux 1 et 1)."]
