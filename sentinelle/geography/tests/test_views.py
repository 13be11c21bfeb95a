import uuid

import pytest
from django.urls import reverse

from sentinelle.geography.models import AdminArea
from sentinelle.geography.tests.factories import AdminAreaFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url_name", ["geography:area-list", "geography:version-list"])
def test_anonymous_is_sent_to_login(client, url_name):
    response = client.get(reverse(url_name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_anonymous_cannot_open_an_area(client, mopti):
    response = client.get(reverse("geography:area-detail", args=[mopti.public_id]))

    assert response.status_code == 302
    assert "Mopti" not in response.content.decode()


def test_reader_sees_the_regions(signed_in, reader, mopti, segou):
    response = signed_in(reader).get(reverse("geography:area-list"))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Ségou" in content
    assert "ML05" in content
    assert str(mopti.public_id) in content


def test_reader_browses_children_and_searches(signed_in, reader, mopti):
    AdminAreaFactory(parent=mopti, pcode="ML0505", name_fr="Djenné")
    client = signed_in(reader)

    children = client.get(reverse("geography:area-list"), {"parent": str(mopti.public_id)})
    search = client.get(reverse("geography:area-list"), {"q": "DJENNE"})

    assert [area.pcode for area in children.context["page"]] == ["ML0505"]
    assert [area.pcode for area in search.context["page"]] == ["ML0505"]
    assert "Djenné" in search.content.decode()


def test_area_detail_shows_names_breadcrumbs_and_map(signed_in, reader, shipped_geography):
    djenne = AdminArea.objects.get(version=shipped_geography, pcode="ML0505")

    response = signed_in(reader).get(reverse("geography:area-detail", args=[djenne.public_id]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "<h1>Djenné</h1>" in content
    assert "Djenne" in content  # the COD's spelling, kept as a name
    assert ">Mopti</a>" in content  # breadcrumb to the region
    assert "<svg" in content and 'fill-rule="evenodd"' in content
    assert "style=" not in content.split("<main", 1)[1]
    assert [child.pcode for child in response.context["children"]][:2] == ["ML050501", "ML050502"]


@pytest.mark.parametrize(
    "path", ["/geographie/zones/{}/", "/geographie/?parent={}", "/geographie/?parent=not-a-uuid"]
)
def test_unknown_area_is_404(signed_in, reader, mopti, path):
    response = signed_in(reader).get(path.format(uuid.uuid4()))

    assert response.status_code == 404


def test_version_list(signed_in, reader, shipped_geography):
    response = signed_in(reader).get(reverse("geography:version-list"))

    assert response.status_code == 200
    assert shipped_geography.title in response.content.decode()
    assert "18769" in response.content.decode() or "18 769" in response.content.decode()


def test_area_list_queries_do_not_grow_with_rows(
    signed_in, reader, shipped_geography, django_assert_max_num_queries
):
    kita = AdminArea.objects.get(version=shipped_geography, pcode="ML0105")
    client = signed_in(reader)
    url = reverse("geography:area-list")

    with django_assert_max_num_queries(12):
        response = client.get(url, {"parent": str(kita.public_id)})

    assert len(response.context["page"]) == 33
    with django_assert_max_num_queries(12):
        client.get(url, {"q": "ML", "parent": str(kita.public_id)})
