"""The incident form offers only the areas where its user may record (issue 15, item 5): a monitor of the
Mopti region is offered Mopti and what lies in it, and an area posted from outside is refused with
nothing written. The limits come from the policy (area_limits), never from the role's name."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from sentinelle.monitoring.models import Incident
from sentinelle.monitoring.tests.factories import cercle_of, commune_of, days_ago, make_incident

pytestmark = pytest.mark.django_db

CREATE = reverse("monitoring:incident-create")


@pytest.fixture
def places(mopti, segou):
    mopti_cercle = cercle_of(mopti, pcode="ML0501", name_fr="Mopti")
    return {
        "mopti_cercle": mopti_cercle,
        "socoura": commune_of(mopti_cercle, pcode="ML050101", name_fr="Socoura"),
        "djenne": cercle_of(mopti, pcode="ML0505", name_fr="Djenné"),
        "segou_cercle": cercle_of(segou, pcode="ML0401", name_fr="Ségou"),
    }


def choices(response, name) -> set[str]:
    field = response.context["entry"].main.fields[name]
    values = set()
    for value, label in field.choices:
        if isinstance(label, list | tuple):  # a group of cercles, by region
            values |= {code for code, _name in label}
        elif value:
            values.add(value)
    return values


def posted(cercle, **overrides) -> dict:
    data = {
        "cod_version": cercle.version.code,
        "date_start": days_ago(5).isoformat(),
        "date_reported": days_ago(2).isoformat(),
        "region": cercle.parent.pcode,
        "cercle": cercle.pcode,
        "categories": ["life"],
        "perpetrator_category": "nsag",
        "summary": "Deux hommes tués sur la route.",
        "v_killed_m_18_59": "2",
        "source_mechanism": "monitoring_interview",
        "reliability": "b",
        "sharing_level": "organisation",
        "save_draft": "1",
    }
    data.update(overrides)
    return data


def test_a_monitor_of_mopti_is_offered_mopti_only(signed_in, monitor, places):
    response = signed_in(monitor).get(CREATE)

    assert choices(response, "region") == {"ML05"}
    assert response.context["entry"].main["region"].value() == "ML05"  # the one region, chosen already
    assert choices(response, "cercle") == {"ML0501", "ML0505"}
    assert "Ségou" not in response.content.decode()


def test_the_location_part_stays_within_the_monitors_areas(signed_in, monitor, places):
    response = signed_in(monitor).post(
        reverse("monitoring:incident-form-part") + "?part=location",
        {"cod_version": places["segou_cercle"].version.code, "region": "ML04", "cercle": "ML0401"},
    )

    assert choices(response, "region") == {"ML05"}
    assert "ML0401" not in choices(response, "cercle") and "Ségou" not in response.content.decode()


def test_an_area_posted_from_outside_is_refused_and_nothing_is_written(signed_in, monitor, places):
    response = signed_in(monitor).post(CREATE, posted(places["segou_cercle"]))

    assert response.status_code == 200
    assert response.context["entry"].main.errors["cercle"]
    assert not Incident.objects.exists()


def test_the_service_refuses_it_too(monitor, places):
    """A page built before the limits (or a forged post) still meets the service's own check."""
    with pytest.raises(ValidationError) as error:
        make_incident(actor=monitor, area=places["segou_cercle"])
    assert "area" in error.value.message_dict
    assert not Incident.objects.exists()


def test_inside_the_monitors_areas_the_form_records(signed_in, monitor, places):
    response = signed_in(monitor).post(CREATE, posted(places["mopti_cercle"], commune="ML050101"))

    assert response.status_code == 302
    assert Incident.objects.get().area == places["socoura"]


def test_a_user_without_area_limits_is_offered_every_region(signed_in, manager, places):
    response = signed_in(manager).get(CREATE)

    assert choices(response, "region") == {"ML04", "ML05"}
    assert {"ML0401", "ML0501", "ML0505"} <= choices(response, "cercle")
