"""A small tree in the default test COD version (named like the real one):

Mali ML
  Mopti ML05 ─ cercle Bandiagara ML0501 ─ communes Dourou ML050101, Kendié ML050102
             └ cercle Douentza ML0502 ─ commune Hombori ML050201
  Ségou ML04 ─ cercle Ségou ML0401 ─ commune Pélengana ML040101
"""

from types import SimpleNamespace

import pytest

from sentinelle.geography.tests.factories import AdminAreaFactory


@pytest.fixture
def places(mopti, segou):
    def area(parent, level, pcode, name):
        return AdminAreaFactory(
            parent=parent, version=parent.version, level=level, pcode=pcode, name_fr=name, name_ascii=name
        )

    bandiagara = area(mopti, 2, "ML0501", "Bandiagara")
    dourou = area(bandiagara, 3, "ML050101", "Dourou")
    kendie = area(bandiagara, 3, "ML050102", "Kendié")
    douentza = area(mopti, 2, "ML0502", "Douentza")
    hombori = area(douentza, 3, "ML050201", "Hombori")
    segou_cercle = area(segou, 2, "ML0401", "Ségou")
    pelengana = area(segou_cercle, 3, "ML040101", "Pélengana")
    return SimpleNamespace(
        mopti=mopti,
        segou=segou,
        bandiagara=bandiagara,
        dourou=dourou,
        kendie=kendie,
        douentza=douentza,
        hombori=hombori,
        segou_cercle=segou_cercle,
        pelengana=pelengana,
    )
