import io
import json

import pytest
from django.core.management import CommandError, call_command

from sentinelle.geography.models import AdminArea, CodVersion, Crosswalk
from sentinelle.geography.tests.factories import AdminAreaFactory, CodVersionFactory

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_load_geography_is_idempotent_and_prints_counts(shipped_geography):
    output = run("load_geography")

    assert "cod-ab-mli-2015 already loaded" in output
    assert "region: 9, cercle: 50, commune: 701, quartier: 71, settlements: 18769" in output
    assert CodVersion.objects.filter(code="cod-ab-mli-2015").count() == 1


def _feature(properties):
    ring = [[-4, 14], [-3, 14], [-3, 15], [-4, 15], [-4, 14]]
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def test_load_cod_from_geojson_files(tmp_path):
    adm1 = tmp_path / "adm1.geojson"
    adm1.write_text(
        json.dumps(
            {"type": "FeatureCollection", "features": [_feature({"ADM1_FR": "Mopti", "ADM1_PCODE": "ML05"})]}
        )
    )
    adm2 = tmp_path / "adm2.geojson"
    adm2.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [_feature({"ADM2_FR": "Djenné", "ADM2_PCODE": "ML0505", "ADM1_PCODE": "ML05"})],
            }
        )
    )

    output = run(
        "load_cod",
        "--code",
        "cod-2021",
        "--title",
        "COD 2021",
        "--valid-on",
        "2021-12-20",
        "--default",
        f"1={adm1}",
        f"2={adm2}",
    )

    assert "cod-2021 loaded" in output
    version = CodVersion.objects.get(code="cod-2021")
    assert version.is_default is True
    assert AdminArea.objects.get(version=version, pcode="ML0505").parent.pcode == "ML05"


@pytest.mark.parametrize(
    ("files", "message"),
    [(["adm1.geojson"], "LEVEL=PATH"), (["1=missing.geojson"], "missing.geojson"), (["1=a", "1=b"], "twice")],
)
def test_load_cod_refuses_bad_arguments(files, message):
    with pytest.raises(CommandError, match=message):
        run("load_cod", "--code", "x", "--title", "x", "--valid-on", "2021-12-20", *files)

    assert not CodVersion.objects.filter(code="x").exists()


def test_load_crosswalk_from_csv_and_by_pcode(tmp_path):
    old, new = CodVersionFactory(code="old"), CodVersionFactory(code="new")
    for version in (old, new):
        AdminAreaFactory(version=version, level=1, pcode="ML05", name_fr="Mopti")
    AdminAreaFactory(version=old, level=1, pcode="ML06", name_fr="Tombouctou")
    AdminAreaFactory(version=new, level=1, pcode="ML09", name_fr="Taoudénit")
    table = tmp_path / "crosswalk.csv"
    table.write_text("from_pcode;to_pcode;relation;share\nML06;ML09;split;0,4\n", encoding="utf-8")

    output = run("load_crosswalk", "old", "new", str(table), "--by-pcode")

    assert "created: 1" in output
    assert "1 link(s) added" in output
    assert set(Crosswalk.objects.values_list("from_area__pcode", "to_area__pcode", "relation", "share")) == {
        ("ML06", "ML09", "split", 0.4),
        ("ML05", "ML05", "same", None),
    }


def test_load_crosswalk_refuses_unknown_version(tmp_path):
    table = tmp_path / "crosswalk.csv"
    table.write_text("from_pcode,to_pcode\nML05,ML05\n")

    with pytest.raises(CommandError, match="nowhere"):
        run("load_crosswalk", "nowhere", "neither", str(table))
