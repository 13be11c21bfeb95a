import io

import pytest
from django.core.management.color import no_style

from sentinelle.demo import accounts as accounts_demo
from sentinelle.demo import directory as demo
from sentinelle.directory.models import Service, ServiceType
from sentinelle.directory.selectors import Distance, place_find, referral_pathway, service_list
from sentinelle.geography.models import AdminArea, CodVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(shipped_geography):
    # The shipped 2015 COD as the default version, inside this test's transaction only.
    CodVersion.objects.filter(pk=shipped_geography.pk).update(is_default=True)
    out = io.StringIO()
    accounts_demo.seed(stdout=out, style=no_style())
    demo.seed(stdout=out, style=no_style())
    return out.getvalue()


def test_the_demo_is_idempotent_and_complete(seeded):
    assert f"Demo services: {len(demo.demo_services())} created" in seeded
    counts = (Service.objects.count(), Service.areas_served.through.objects.count())
    out = io.StringIO()
    demo.seed(stdout=out, style=no_style())
    assert (
        f"0 created, {len(demo.demo_services())} already there; 0 focal point links added" in out.getvalue()
    )
    assert (Service.objects.count(), Service.areas_served.through.objects.count()) == counts
    assert set(Service.objects.values_list("service_type", flat=True)) == set(ServiceType.values) - {"other"}
    regions = set(Service.objects.values_list("area__path", flat=True))
    assert {path.split("/")[1] for path in regions} >= {
        "ML01",
        "ML03",
        "ML04",
        "ML05",
        "ML06",
        "ML07",
        "ML09",
    }


def test_the_drpfef_focal_point_receives_its_organisations_referrals(seeded):
    drpfef = Service.objects.filter(provider__acronym="DRPFEF-MOPTI")
    assert drpfef.count() >= 3
    for service in drpfef:
        assert list(service.focal_points.values_list("username", flat=True)) == ["focal.drpfef"]


def test_which_pss_services_serve_douentza(seeded):
    from sentinelle.accounts.models import User

    reader = User.objects.get(username="reader.unhcr")
    place = place_find("douentza")
    assert place.area.pcode == "ML0506"  # the cercle; the commune ML050606 is offered too
    assert [area.pcode for area in place.also] == ["ML050606"]
    commune = AdminArea.objects.get(version__is_default=True, pcode="ML050606")
    names = list(service_list(user=reader, area=commune, service_type="pss").values_list("name", flat=True))
    assert "Centre communautaire de Douentza (REVIVRE)" in names
    assert len(names) >= 4
    (group,) = referral_pathway(user=reader, area=commune, service_types=["pss"])
    distances = [entry.distance for entry in group.entries]
    assert distances == sorted(distances)
    assert {Distance.COMMUNE, Distance.REGION, Distance.NATIONAL} <= set(distances)
