"""Keeping the activities roll-ups current (core/rollups.py; declared in activities/datasets.py).

Only the activities of validated reports count, and a validated report can no longer be changed (its
activities neither): what the activities dataset counts moves only when a report enters or leaves the
validated status. The review service therefore wraps that change, in its transaction:

    with activity_rollups_updating(report_ids=[report.pk]):
        ...  # the reports' status changes

which locks the reports, takes their activities' contributions out as they are before the change and puts
them back as they are after it (nothing when the report is not validated on either side). Contributions
are the dataset's own base rows, so the roll-ups count with its rules.
"""

from collections.abc import Iterable
from contextlib import contextmanager

from django.db import transaction

from sentinelle.activities.models import Activity, ActivityReport
from sentinelle.core.rollups import rollups_updating

KEYED_BY = "activity"


@contextmanager
def activity_rollups_updating(*, report_ids: Iterable):
    """Around a change of these reports: their activities' figures out before it and back in after it.
    The reports are locked first (id order), so two reviews of one report follow each other."""
    report_ids = sorted({int(pk) for pk in report_ids})
    with transaction.atomic():
        reports = ActivityReport.objects.filter(pk__in_ids=report_ids).order_by("pk").select_for_update()
        list(reports.values_list("pk"))
        activities = Activity.objects.filter(report_id__in_ids=report_ids)
        activity_ids = list(activities.values_list("pk", flat=True))
        with rollups_updating(keyed_by=KEYED_BY, ids=activity_ids):
            yield
