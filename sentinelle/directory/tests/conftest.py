"""A small Mopti / Ségou tree in the default test COD version, named like the real one.

Mali ML
  Mopti ML05 ─ cercle Douentza ML0506 ─ communes Douentza ML050606, Hombori ML050609
             └ cercle Mopti ML0501 ─ commune Mopti ML050109
  Ségou ML04 ─ cercle Ségou ML0402 ─ commune Ségou ML040224
"""

from types import SimpleNamespace

import pytest

from sentinelle.geography.tests.conftest import shipped_geography  # noqa: F401  (the real 2015 COD)
from sentinelle.geography.tests.factories import AdminAreaFactory


@pytest.fixture
def places(mopti, segou):
    def area(parent, level, pcode, name, **extra):
        return AdminAreaFactory(parent=parent, level=level, pcode=pcode, name_fr=name, **extra)

    douentza_cercle = area(mopti, 2, "ML0506", "Douentza")
    douentza = area(douentza_cercle, 3, "ML050606", "Douentza", name_ascii="Douentza Commune")
    hombori = area(douentza_cercle, 3, "ML050609", "Hombori")
    mopti_cercle = area(mopti, 2, "ML0501", "Mopti")
    mopti_commune = area(mopti_cercle, 3, "ML050109", "Mopti", name_ascii="Mopti Commune")
    segou_cercle = area(segou, 2, "ML0402", "Ségou")
    segou_commune = area(segou_cercle, 3, "ML040224", "Ségou", name_ascii="Segou Commune")
    return SimpleNamespace(
        mali=mopti.parent,
        mopti=mopti,
        segou=segou,
        douentza_cercle=douentza_cercle,
        douentza=douentza,
        hombori=hombori,
        mopti_cercle=mopti_cercle,
        mopti_commune=mopti_commune,
        segou_cercle=segou_cercle,
        segou_commune=segou_commune,
    )
