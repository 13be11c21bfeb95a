"""The area picker (issue 15, items 5 and 8): names with suggestions, the level shown, P-codes still
accepted; a recording picker offers and accepts only the user's areas."""

import pytest
from django import forms
from django.urls import reverse
from django.utils import translation

from sentinelle.accounts.tests.factories import make_member
from sentinelle.core.models import Role
from sentinelle.core.permissions import Perm
from sentinelle.geography.fields import AreaField
from sentinelle.geography.selectors import area_suggestions
from sentinelle.geography.tests.factories import AdminAreaFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(mopti, segou):
    """Mopti the region, its cercle Mopti and commune Mopti (three areas, one name), Djenné, Ségou."""

    def area(parent, pcode, name):
        return AdminAreaFactory(parent=parent, version=parent.version, pcode=pcode, name_fr=name)

    cercle = area(mopti, "ML0501", "Mopti")
    commune = area(cercle, "ML050109", "Mopti")
    djenne = area(mopti, "ML0505", "Djenné")
    segou_cercle = area(segou, "ML0401", "Ségou")
    return {"region": mopti, "cercle": cercle, "commune": commune, "djenne": djenne, "segou": segou_cercle}


@pytest.fixture
def monitor_of_mopti(alpha, mopti):
    """Like the demo's monitor.amss: a monitor whose only area is the Mopti region."""
    return make_member(Role.MONITOR, alpha, areas=[mopti], username="monitor_mopti")


class FilterForm(forms.Form):
    area = AreaField(required=False)


class RecordForm(forms.Form):
    area = AreaField(perm=Perm.POPULATION_MANAGE, levels=(2, 3))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].limit_for(user)


def picked(form_class, value, **kwargs):
    form = form_class({"area": value}, **kwargs)
    return form.cleaned_data["area"] if form.is_valid() else form


def test_a_suggestion_picked_resolves_exactly(tree):
    assert picked(FilterForm, "Mopti (cercle, ML0501)") == tree["cercle"]
    assert picked(FilterForm, "Mopti (région, ML05)") == tree["region"]
    assert picked(FilterForm, "Djenné (ML0505)") == tree["djenne"]  # the directory's older labels


def test_names_and_pcodes_still_work(tree):
    assert picked(FilterForm, "ml0505") == tree["djenne"]
    assert picked(FilterForm, "DJENNE") == tree["djenne"]
    assert picked(FilterForm, "  Djenné (ML0505) ") == tree["djenne"]


def test_a_shared_name_lists_each_area_with_its_level(tree):
    with translation.override("en"):
        form = FilterForm({"area": "mopti"})
        assert not form.is_valid()
    [message] = form.errors["area"]
    assert "names 3 areas" in message
    assert "Mopti (region, ML05)" in message and "Mopti (cercle, ML0501)" in message
    assert "Mopti (commune, ML050109)" in message
    # The candidates are offered in the picker's list, even without JavaScript.
    html = str(form["area"])
    assert 'list="id_area-suggestions"' in html and 'value="Mopti (commune, ML050109)"' in html


def test_the_levels_of_the_field_settle_a_shared_name(tree):
    class CercleForm(forms.Form):
        area = AreaField(levels=(2,))

    assert picked(CercleForm, "Mopti") == tree["cercle"]


def test_a_recording_picker_accepts_only_the_users_areas(tree, monitor_of_mopti):
    assert picked(RecordForm, "Djenné", user=monitor_of_mopti) == tree["djenne"]
    form = picked(RecordForm, "ML0401", user=monitor_of_mopti)
    assert "outside your areas" in form.errors["area"][0] or "vos zones" in form.errors["area"][0]


def test_the_users_areas_settle_a_shared_name(tree, alpha):
    commune_monitor = make_member(Role.MONITOR, alpha, areas=[tree["commune"]], username="monitor_commune")
    assert picked(RecordForm, "Mopti", user=commune_monitor) == tree["commune"]


def test_a_global_role_is_not_limited(tree, imo):
    assert picked(RecordForm, "ML0401", user=imo) == tree["segou"]


def test_the_widget_asks_for_suggestions_for_its_work(tree, monitor_of_mopti):
    html = str(RecordForm(user=monitor_of_mopti)["area"])
    assert (
        f'hx-get="{reverse("geography:area-suggest")}?field=area&amp;perm=population.manage&amp;levels=2%2C3"'
        in html
    )
    assert 'hx-push-url="false"' in html and 'autocomplete="off"' in html
    assert "<datalist" in html


# --- Suggestions -------------------------------------------------------------------------------------


def test_suggestions_ignore_accents_and_case_and_put_exact_names_first(tree, imo):
    by_name = area_suggestions(user=imo, text="SEGOU")
    assert [a.pcode for a in by_name] == ["ML04", "ML0401"]
    assert [a.pcode for a in area_suggestions(user=imo, text="djen")] == ["ML0505"]
    assert [a.pcode for a in area_suggestions(user=imo, text="mopti")] == ["ML05", "ML0501", "ML050109"]
    assert [a.pcode for a in area_suggestions(user=imo, text="ml050")] == ["ML0501", "ML0505", "ML050109"]


def test_suggestions_keep_to_the_levels_and_limits(tree, imo, segou):
    assert [a.pcode for a in area_suggestions(user=imo, text="mopti", levels=[2, 3])] == [
        "ML0501",
        "ML050109",
    ]
    assert area_suggestions(user=imo, text="segou", limits=[tree["region"]]) == []
    assert area_suggestions(user=imo, text="segou", limits=[segou]) == [segou, tree["segou"]]
    assert area_suggestions(user=imo, text="") == []


def test_the_suggestion_page_offers_the_users_areas_only(tree, monitor_of_mopti, signed_in):
    client = signed_in(monitor_of_mopti)
    url = reverse("geography:area-suggest")
    anywhere = client.get(
        url, {"field": "place", "place": "ségou"}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert 'value="Ségou (region, ML04)"' in anywhere and 'label="in Ségou (region)"' in anywhere

    own = client.get(url, {"field": "area", "area": "s", "perm": "population.manage"}).content.decode()
    assert "ML04" not in own
    own = client.get(url, {"field": "area", "area": "djen", "perm": "population.manage"}).content.decode()
    assert "Djenné" in own
    assert client.get(url, {"field": "area", "area": "x", "perm": "no.such"}).status_code == 404


def test_the_suggestion_page_needs_a_sign_in(tree, client):
    response = client.get(reverse("geography:area-suggest"), {"q": "mopti"})
    assert response.status_code == 302 and "Mopti" not in response.content.decode()
