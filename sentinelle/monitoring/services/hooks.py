"""What happens after incidents enter the shared picture (submitted or verified), once committed.

Explicit calls from the incident services, never signals: duplicate detection proposes pairs to the IMO,
and alert rules are evaluated on the new incidents. Both run after the transaction commits, as a queued
task (monitoring/tasks.py), so that a failing notification can never undo a recorded incident.

A bulk import (ingest) does not schedule them per call: it records the incidents it created on its job
and queues one task after its last commit (ingest/tasks.py) that runs `incidents_follow_up` for the whole
file, so that a file is evaluated once, not once per chunk. Both are set-based: their cost follows the
cercles and days the new incidents touch, not their number one by one.
"""


def incidents_follow_up(incident_ids: list[int]) -> None:
    """Run the follow-ups now (the incidents must be committed): duplicates, then alerts."""
    if not incident_ids:
        return
    from sentinelle.monitoring.services.alerts import alerts_evaluate
    from sentinelle.monitoring.services.duplicates import duplicates_detect

    duplicates_detect(incident_ids=incident_ids)
    alerts_evaluate(incident_ids=incident_ids)


def incidents_entered(incident_ids: list[int]) -> None:
    """Queue the follow-ups of incidents that were just submitted or verified: a task, once committed."""
    if not incident_ids:
        return
    from sentinelle.core.tasks import enqueue_after_commit
    from sentinelle.monitoring.tasks import incidents_follow_up_run

    enqueue_after_commit(incidents_follow_up_run, incident_ids=list(incident_ids))
