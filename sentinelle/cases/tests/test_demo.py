"""The demo's case worker opens on a realistic handful of overdue tasks, not one per case (issue 15, item 9:
"53 en retard"): the demo case load goes through the steps its age makes likely, and closed cases keep no
open task."""

import io

import pytest

from sentinelle.cases.models import Case, CaseStatus, Task
from sentinelle.cases.selectors.cases import caseworker_home
from sentinelle.cases.tests.factories_cases import commune_in
from sentinelle.demo.cases.caseload import CASES, seed_caseload

pytestmark = pytest.mark.django_db


def test_the_demo_case_worker_has_a_handful_of_overdue_tasks(caseworker_in_area, focal_point, manager, mopti):
    areas = [commune_in(mopti, "Sévaré"), commune_in(mopti, "Douentza")]

    opened = seed_caseload(
        worker=caseworker_in_area, focal=focal_point, manager=manager, areas=areas, stdout=io.StringIO()
    )

    home = caseworker_home(user=caseworker_in_area)
    assert opened == CASES
    assert 1 <= home["overdue_task_count"] <= 5
    assert Case.objects.filter(status=CaseStatus.CLOSED).count() >= CASES // 4
    assert not Task.objects.filter(case__status=CaseStatus.CLOSED, done_on__isnull=True).exists()
