"""Writes of offline case work.

Modules:
  devices   enrol a device, the wipe signal at each contact, the time of its last sync
  sync      the outbox replayed: each change once, in its own transaction, idempotent by change id
  changes   each kind of change on a case, through the cases services, with field-level conflicts
  register  a new person and case: search before create, review of probable duplicates
  outcomes  the answer of one change, and the reading of the device's values
"""

from .devices import offline_device_contact, offline_device_enrol, offline_device_synced
from .sync import offline_answers_prune, offline_sync

__all__ = [
    "offline_answers_prune",
    "offline_device_contact",
    "offline_device_enrol",
    "offline_device_synced",
    "offline_sync",
]
