"""An incident sent from ODK Collect gets its record key from the database, like every other path
(core/record_keys.py; the other paths: core/tests/test_record_keys.py)."""

import pytest

from sentinelle.core.record_keys import KEY_RANGE
from sentinelle.monitoring.models import Incident, VictimCount

from .odk import build_submission
from .test_submission import incident_answers, post

pytestmark = pytest.mark.django_db


def test_an_openrosa_submission_gets_record_keys(client, monitor_device, xform_of):
    response = post(
        client, build_submission(xform_of("sentinelle_incident"), incident_answers()), monitor_device
    )
    assert response.status_code == 201
    [key] = Incident.objects.values_list("record_key", flat=True)
    assert 0 <= key < KEY_RANGE
    assert all(0 <= k < KEY_RANGE for k in VictimCount.objects.values_list("record_key", flat=True))
    assert VictimCount.objects.count() == 2
