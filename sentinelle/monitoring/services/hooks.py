"""What happens after incidents enter the shared picture (submitted or verified), once committed.

Explicit calls from the incident services, never signals: duplicate detection proposes pairs to the IMO,
and alert rules are evaluated on the new incidents. Both run after the transaction commits so that a
failing notification can never undo a recorded incident.
"""

from django.db import transaction


def incidents_entered(incident_ids: list[int]) -> None:
    """Schedule the follow-ups of incidents that were just submitted or verified."""
    if not incident_ids:
        return

    def follow_up():
        from sentinelle.monitoring.services.alerts import alerts_evaluate
        from sentinelle.monitoring.services.duplicates import duplicates_detect

        duplicates_detect(incident_ids=incident_ids)
        alerts_evaluate(incident_ids=incident_ids)

    transaction.on_commit(follow_up)
