"""The activity form offers only the areas where its user may report (issue 15, item 5): a monitor of the
Mopti region is offered Mopti, and an area posted from elsewhere is refused with nothing written."""

import pytest
from django.urls import reverse

from sentinelle.activities.models import Activity
from sentinelle.activities.tests.factories_reporting import (  # noqa: F401  (fixture)
    places_fixture,
    this_month,
)

pytestmark = pytest.mark.django_db

CREATE = reverse("activities:activity-create")


def posted(region, cercle, commune="") -> dict:
    month = this_month()
    return {
        "month": month.strftime("%Y-%m"),
        "activity_type": "awareness",
        "title": "Causerie sur la documentation civile",
        "region": region,
        "cercle": cercle,
        "commune": commune,
        "start_date": month.replace(day=2).isoformat(),
        "end_date": month.replace(day=2).isoformat(),
        "status": "completed",
        "quantity": "1",
    }


def offered(form, name) -> set[str]:
    values = set()
    for value, label in form.fields[name].choices:
        if isinstance(label, list | tuple):
            values |= {code for code, _name in label}
        elif value:
            values.add(value)
    return values


def test_a_monitor_of_mopti_is_offered_mopti_only(signed_in, monitor, places):
    form = signed_in(monitor).get(CREATE).context["form"]

    assert offered(form, "region") == {"ML05"}
    assert offered(form, "cercle") == {"ML0501", "ML0503"}


def test_an_area_posted_from_elsewhere_is_refused_and_nothing_is_written(signed_in, monitor, places):
    response = signed_in(monitor).post(CREATE, posted("ML04", "ML0401", "ML040101"))

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Activity.objects.exists()


def test_a_manager_without_area_limits_is_offered_every_region(signed_in, manager, places):
    form = signed_in(manager).get(CREATE).context["form"]

    assert offered(form, "region") == {"ML04", "ML05"}
