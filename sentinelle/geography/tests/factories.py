"""Small geography factories: a version, areas whose path and version follow their parent."""

import datetime

import factory

from sentinelle.core.text import normalise_text, strip_accents
from sentinelle.geography.models import (
    AdminArea,
    AreaName,
    CodVersion,
    Crosswalk,
    CrosswalkRelation,
    NameKind,
    Settlement,
)


class CodVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CodVersion
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"cod-test-{n}")
    title = factory.LazyAttribute(lambda o: f"COD {o.code}")
    valid_on = datetime.date(2021, 12, 20)
    source = "tests"
    is_default = False


def _version_of(area) -> CodVersion:
    return area.parent.version if area.parent is not None else CodVersionFactory()


class AdminAreaFactory(factory.django.DjangoModelFactory):
    """An area; its names (French and ASCII, plus `aliases=[...]`) are added to the look-up table."""

    class Meta:
        model = AdminArea
        skip_postgeneration_save = True

    parent = None
    version = factory.LazyAttribute(_version_of)
    level = factory.LazyAttribute(lambda o: o.parent.level + 1 if o.parent is not None else 1)
    pcode = factory.Sequence(lambda n: f"ZZ{n:04d}")
    name_fr = factory.Sequence(lambda n: f"Zone {n}")
    name_ascii = factory.LazyAttribute(lambda o: strip_accents(o.name_fr))
    path = factory.LazyAttribute(lambda o: f"{o.parent.path if o.parent is not None else ''}{o.pcode}/")
    geometry = factory.LazyAttribute(lambda o: square(o.lon, o.lat, 0.5))
    lon = -4.0
    lat = 14.5
    bbox = factory.LazyAttribute(lambda o: [o.lon - 0.5, o.lat - 0.5, o.lon + 0.5, o.lat + 0.5])

    @factory.post_generation
    def aliases(self, create, extracted, **kwargs):
        if not create:
            return
        spellings = [(self.name_fr, NameKind.OFFICIAL), (self.name_ascii, NameKind.ASCII)]
        spellings += [(alias, NameKind.ALIAS) for alias in extracted or []]
        seen = set()
        for name, kind in spellings:
            if name not in seen:
                seen.add(name)
                AreaName.objects.create(area=self, key=normalise_text(name), name=name, kind=kind)


def square(lon: float, lat: float, half: float) -> dict:
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


class SettlementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Settlement

    admin3 = factory.SubFactory(AdminAreaFactory, level=3)
    version = factory.LazyAttribute(lambda o: o.admin3.version)
    pcode = factory.Sequence(lambda n: f"ZZ{n:09d}")
    name = factory.Sequence(lambda n: f"Village {n}")
    key = factory.LazyAttribute(lambda o: normalise_text(o.name))
    lon = -4.0
    lat = 14.5


class CrosswalkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Crosswalk

    from_area = factory.SubFactory(AdminAreaFactory)
    to_area = factory.SubFactory(AdminAreaFactory)
    relation = CrosswalkRelation.SAME
    share = None
