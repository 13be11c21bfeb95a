"""Keeping the monitoring figures' roll-ups current (core/rollups.py; the tables: models/rollups.py).

Every service that changes what the incident datasets count calls one of these in its transaction,
with the ids of the incidents concerned (a linked duplicate is the incident linked, not its canonical):

    incident_rollups_add(incident_ids=[...])        # new incidents, as they are now
    incident_rollups_remove(incident_ids=[...])     # before deleting them
    with incident_rollups_updating(incident_ids=[...]):
        ...                                         # any change: status, details, consent, duplicate link

An incident's contributions are its figures under the datasets' counting rules (a draft, a rejected
report or a linked duplicate contributes nothing), so the callers need not know what counts.
"""

from sentinelle.core.rollups import rollups_add, rollups_remove, rollups_updating

KEYED_BY = "incident"


def incident_rollups_add(*, incident_ids) -> None:
    rollups_add(keyed_by=KEYED_BY, ids=incident_ids)


def incident_rollups_remove(*, incident_ids) -> None:
    rollups_remove(keyed_by=KEYED_BY, ids=incident_ids)


def incident_rollups_updating(*, incident_ids):
    return rollups_updating(keyed_by=KEYED_BY, ids=incident_ids)
